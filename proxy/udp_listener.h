// UdpListener: one worker's UDP socket for one listener key. Each client address is a flow that
// sticks to the endpoint picked for its first datagram, until it is idle for `idle_timeout`.
// With SO_REUSEPORT the kernel hashes a client address to one worker, so flows stay worker-local.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "proxy/listener.h"
#include "proxy/udp_flow.h"

namespace skiff::proxy {

class UdpListener final : public Listener, public std::enable_shared_from_this<UdpListener> {
 public:
  UdpListener(boost::asio::io_context& io, std::chrono::milliseconds idle_timeout);

  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port) override;
  void set_route(Route route) override { route_ = std::move(route); }
  void start() override;
  void close() override;

 private:
  void receive();
  void on_receive(const boost::system::error_code& ec, std::size_t n);
  void schedule_sweep();

  // Shared with the flows, which send replies through it.
  std::shared_ptr<boost::asio::ip::udp::socket> socket_;
  boost::asio::steady_timer sweep_timer_;
  std::chrono::milliseconds idle_timeout_;
  Route route_;
  std::unique_ptr<std::array<char, UdpFlow::kDatagramMax>> buffer_;
  boost::asio::ip::udp::endpoint sender_;
  std::map<boost::asio::ip::udp::endpoint, std::shared_ptr<UdpFlow>> flows_;  // by client
};

}  // namespace skiff::proxy
