// TcpListener: one worker's acceptor for one listener key. Every worker binds its own acceptor
// with SO_REUSEPORT, so the kernel spreads connections over workers with no shared accept lock.
//
// Accepting is batched: one readiness event accepts up to kAcceptBatch connections with
// accept4(SOCK_NONBLOCK) before yielding to the worker's sessions. A connection is refused with
// a reset when its Service has no ready endpoint or is at its connection limit. Running out of
// descriptors (EMFILE, ENFILE) or memory pauses accepting for kPause and then tries again: the
// kernel holds new connections in the backlog meanwhile, nothing spins.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "proxy/listener.h"
#include "proxy/route.h"
#include "proxy/worker_context.h"

namespace skiff::proxy {

class TcpListener final : public Listener, public std::enable_shared_from_this<TcpListener> {
 public:
  static constexpr int kAcceptBatch = 64;
  static constexpr std::chrono::milliseconds kPause{100};

  explicit TcpListener(WorkerContext& context);

  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port) override;
  void set_route(RoutePtr route) override { route_ = std::move(route); }
  void start() override;
  void close() override;

 private:
  void wait();
  void accept_ready();
  void pause();
  void dispatch(int fd, const sockaddr_storage& peer);

  WorkerContext& context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer pause_timer_;
  RoutePtr route_;
  bool paused_ = false;  // between an EMFILE and the next successful accept; logs once
};

}  // namespace skiff::proxy
