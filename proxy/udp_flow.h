// UdpFlow: the datagrams of one client address for one UDP listener, relayed to the endpoint
// chosen when the flow began; replies go back to the client from the listener's own socket (so
// the client sees the Service address answer). A flow ends when idle longer than the timeout or
// when its listener closes. Runs on one worker thread.
#pragma once

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "proxy/route.h"

namespace skiff::proxy {

class UdpFlow final : public std::enable_shared_from_this<UdpFlow> {
 public:
  static constexpr std::size_t kDatagramMax = 64 * 1024;

  UdpFlow(std::shared_ptr<boost::asio::ip::udp::socket> listener_socket,
          boost::asio::ip::udp::endpoint client, Route route);

  // Connects the upstream socket to endpoint `index` of the route; false if that is impossible
  // (bad address, no descriptors), in which case the datagram is dropped like a lost packet.
  bool start(std::size_t index);
  // Sends one client datagram upstream.
  void send(const char* data, std::size_t size);
  bool idle_since(std::chrono::steady_clock::time_point cutoff) const {
    return last_active_ < cutoff;
  }
  void close();

 private:
  void receive();

  std::shared_ptr<boost::asio::ip::udp::socket> listener_socket_;
  boost::asio::ip::udp::endpoint client_;
  boost::asio::ip::udp::socket upstream_;
  Route route_;  // holds the snapshot the endpoint came from
  std::unique_ptr<std::array<char, kDatagramMax>> reply_buffer_;
  std::chrono::steady_clock::time_point last_active_;
  bool closed_ = false;
};

}  // namespace skiff::proxy
