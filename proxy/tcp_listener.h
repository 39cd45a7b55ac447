// TcpListener: one worker's acceptor for one listener key. Every worker binds its own acceptor
// with SO_REUSEPORT, so the kernel spreads connections over workers with no shared accept lock.
// Each accepted connection is given to a TcpSession with the endpoint its route's balancer picks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "proxy/listener.h"
#include "proxy/route.h"
#include "proxy/session_set.h"

namespace skiff::proxy {

class TcpListener final : public Listener, public std::enable_shared_from_this<TcpListener> {
 public:
  TcpListener(boost::asio::io_context& io, SessionSet& sessions);

  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port) override;
  void set_route(Route route) override { route_ = std::move(route); }
  void start() override;
  void close() override;

 private:
  void accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;  // backs off after accept errors such as EMFILE
  SessionSet& sessions_;
  Route route_;
};

}  // namespace skiff::proxy
