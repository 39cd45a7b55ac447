// UdpListener: one worker's UDP socket for one listener key. Each client address is a flow that
// sticks to the endpoint picked for its first datagram until it is idle for the Service's UDP
// idle timeout. When a snapshot removes a flow's endpoint, the flow ends and the client's next
// datagram starts a flow to a live endpoint (no stale-conntrack blackhole). With SO_REUSEPORT
// the kernel hashes a client address to one worker, so flows stay worker-local.
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
  explicit UdpListener(boost::asio::io_context& io);

  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port) override;
  void set_route(RoutePtr route) override;
  void start() override;
  void close() override;

 private:
  static constexpr int kDatagramsPerTurn = 64;

  void receive();
  void drain();
  void on_datagram(std::size_t n);
  void schedule_sweep();
  std::chrono::milliseconds idle_timeout() const;

  // Shared with the flows, which send replies through it.
  std::shared_ptr<boost::asio::ip::udp::socket> socket_;
  boost::asio::steady_timer sweep_timer_;
  RoutePtr route_;
  std::shared_ptr<UdpFlow::Buffer> buffer_;  // also the flows' reply buffer
  boost::asio::ip::udp::endpoint sender_;
  std::map<boost::asio::ip::udp::endpoint, std::shared_ptr<UdpFlow>> flows_;  // by client
};

}  // namespace skiff::proxy
