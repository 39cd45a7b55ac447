// TcpListener: one worker's acceptor for one listener key. Every worker binds its own acceptor
// with SO_REUSEPORT, so the kernel spreads connections over workers with no shared accept lock.
//
// Accepting is batched: one readiness event accepts up to kAcceptBatch connections with
// accept4(SOCK_NONBLOCK) before yielding to the worker's sessions. A connection is refused with
// a reset when its Service has no ready endpoint or is at its connection limit. Running out of
// descriptors (EMFILE, ENFILE) or memory pauses accepting for kPause and then tries again: the
// kernel holds new connections in the backlog meanwhile, nothing spins.
//
// The listening socket is a plain descriptor registered once, edge-triggered, with the worker's
// Poller (no epoll_ctl per accept batch); the pause timer is an asio timer.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "proxy/listener.h"
#include "proxy/poller.h"
#include "proxy/route.h"
#include "proxy/worker_context.h"

namespace skiff::proxy {

class TcpListener final : public Listener,
                          public PollTarget,
                          public std::enable_shared_from_this<TcpListener> {
 public:
  static constexpr int kAcceptBatch = 64;
  static constexpr std::chrono::milliseconds kPause{100};

  explicit TcpListener(WorkerContext& context);
  ~TcpListener() override;

  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port) override;
  void set_route(RoutePtr route) override { route_ = std::move(route); }
  void start() override;
  void close() override;

  void on_events(uint32_t events) override;

 private:
  void accept_ready();
  void pause();
  void dispatch(int fd, const sockaddr_storage& peer);

  WorkerContext& context_;
  int fd_ = -1;  // the listening socket
  Poller::Handle handle_ = 0;
  boost::asio::steady_timer pause_timer_;
  RoutePtr route_;
  bool paused_ = false;   // between an EMFILE and the next successful accept; logs once
  bool pausing_ = false;  // the pause timer runs: edges meanwhile wait for it
};

}  // namespace skiff::proxy
