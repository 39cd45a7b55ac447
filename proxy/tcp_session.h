// TcpSession: one client connection relayed to one endpoint, on one worker thread.
//
// Connect: the route's balancer picks an endpoint; a refused or timed-out connect ejects that
// endpoint for a back-off (passive outlier detection) and the balancer picks again, excluding
// endpoints already tried, up to kMaxConnectTries; only then is the client reset.
//
// Relay: both sockets are plain non-blocking descriptors registered once, edge-triggered, with
// the worker's Poller (no epoll_ctl per message). Each direction moves bytes with non-blocking
// syscalls until its source is drained or its destination is full, then waits for the next
// edge of that socket. In copy mode a recv that returns less than the buffer counts as drained:
// TCP returns a short read only when the receive queue was empty at that instant, and any byte
// arriving afterwards raises a new edge, so no recv is spent on EAGAIN per message. A direction
// starts copying through the worker's shared scratch buffer (small request/response traffic:
// recv + send, nothing held); once a read fills the buffer it switches to splice(2) through a
// pipe borrowed from the worker's pool, so bulk bytes never cross into user space (a short
// splice proves nothing about the socket, so splice reads on until EAGAIN). EOF is passed on as
// shutdown(SHUT_WR) (half-close); an error on either side resets both.
//
// Deadlines: one asio timer, re-armed lazily, serves the connect timeout, the idle timeout, the
// maximum connection age and the drain deadline set when the endpoint leaves the snapshot.
//
// Lifetime: the session is owned by its pending operations (its timer wait and posted turns).
// A counter of them frees the session once it is closed and the last one has run, so no
// shared_ptr is copied on the data path. Poller events that were queued for a socket before
// it closed are dropped by the poller, so they never reach a freed session.
#pragma once

#include <sys/socket.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "proxy/balancer.h"
#include "proxy/pipe_pool.h"
#include "proxy/poller.h"
#include "proxy/route.h"
#include "proxy/route_table.h"
#include "proxy/session_set.h"
#include "proxy/worker_context.h"

namespace skiff::proxy {

class TcpSession final : public Session {
 public:
  static constexpr std::size_t kMaxConnectTries = 3;

  // Takes the accepted, non-blocking client descriptor and a slot already counted in
  // route->limit. The session registers with context.sessions and frees itself when done.
  static void start(WorkerContext& context, int client_fd, RoutePtr route, const ClientKey& client);

  // Resets both sides (Service deleted, proxy stopping).
  void close() override;
  // A new snapshot: reset if the Service port is gone, start draining if the endpoint left.
  void update(const RouteTable& table) override;

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { kConnecting, kRelaying, kClosed };
  // What a direction waits for; kNone while it runs, has a turn posted, or has ended.
  enum class Wait { kNone, kReadable, kWritable };
  // The outcome of one syscall of the relay.
  enum class Step { kMoved, kAgain, kBlocked, kEnd, kFailed };

  // One socket of the session as the poller sees it.
  struct Side final : PollTarget {
    TcpSession* session = nullptr;
    int fd = -1;
    Poller::Handle handle = 0;
    bool peer_closed = false;  // an edge reported the peer's FIN, a hangup or an error
    void on_events(uint32_t events) override { session->on_events(*this, events); }
  };

  // One direction of the relay: bytes read from `from` are written to `to`.
  struct Direction {
    Side* from = nullptr;
    Side* to = nullptr;
    metrics::Counter* bytes = nullptr;
    Wait wait = Wait::kNone;
    bool splice = false;           // switched on by a read that filled the scratch buffer
    Pipe pipe;                     // borrowed while bytes are in it
    std::size_t in_pipe = 0;       // bytes spliced in, not yet out
    std::unique_ptr<char[]> held;  // copy-mode bytes `to` could not take yet
    std::size_t held_offset = 0;
    std::size_t held_length = 0;
    bool eof = false;  // EOF seen on `from` and passed on as shutdown(send) of `to`
  };

  TcpSession(WorkerContext& context, int client_fd, RoutePtr route, const ClientKey& client);
  ~TcpSession() override;

  void on_events(Side& side, uint32_t events);

  void connect_next();
  void on_connect_ready(uint32_t events);
  void on_connect_failed(int error, bool timed_out);
  void on_connected(uint32_t events);
  void release_endpoint();

  void pump(Direction& d);
  Step flush(Direction& d);
  Step read_in(Direction& d, bool& drained);
  Step outcome(Direction& d, ssize_t n, bool writing);
  void end_of_stream(Direction& d);

  Clock::time_point next_deadline() const;
  void arm_timer();
  void shorten_timer(Clock::time_point deadline);
  void on_timer();

  // Both directions done, or a deadline passed: close both sockets normally.
  void finish();
  // Error on one side: reset both so neither peer mistakes it for a clean end.
  void abort();
  void close_sockets(bool reset);
  // Frees the session once it is closed and nothing is pending. Must be the caller's last step.
  void maybe_release();

  WorkerContext& context_;
  Side client_;
  Side upstream_;
  boost::asio::steady_timer timer_;
  RoutePtr route_;
  ClientKey client_key_;
  Phase phase_ = Phase::kConnecting;
  int pending_ = 0;  // handlers not yet run; the session lives while > 0 or not closed

  EndpointState* endpoint_ = nullptr;  // counted in its `active` while set
  std::array<std::size_t, kMaxConnectTries> tried_{};
  std::size_t tries_ = 0;

  Clock::time_point accepted_at_;
  Clock::time_point connect_deadline_ = Clock::time_point::max();
  Clock::time_point last_activity_;
  Clock::time_point drain_deadline_ = Clock::time_point::max();
  bool draining_ = false;

  bool timer_armed_ = false;
  uint64_t timer_generation_ = 0;
  Clock::time_point timer_deadline_;

  Direction to_upstream_;
  Direction to_client_;
};

}  // namespace skiff::proxy
