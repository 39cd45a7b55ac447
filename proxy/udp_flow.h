// UdpFlow: the datagrams of one client address for one UDP listener, relayed to one endpoint
// through a connected socket; replies go back to the client from the listener's own socket (so
// the client sees the Service address answer). Sends are non-blocking and a datagram the kernel
// cannot queue is dropped, as UDP may. A flow ends when idle past its timeout, when its listener
// closes, or when its endpoint leaves (the listener then starts a new flow to a live endpoint
// on the client's next datagram). Runs on one worker thread.
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

  using Buffer = std::array<char, kDatagramMax>;

  // `buffer` is the listener's receive buffer, shared: replies are received and sent at once,
  // on the listener's thread, so flows need none of their own.
  UdpFlow(std::shared_ptr<boost::asio::ip::udp::socket> listener_socket,
          boost::asio::ip::udp::endpoint client, RoutePtr route, std::shared_ptr<Buffer> buffer);
  ~UdpFlow();

  // Connects the upstream socket to endpoint `index` of the route; false if that is impossible
  // (bad address, no descriptors), in which case the datagram is dropped like a lost packet.
  bool start(std::size_t index);
  // Sends one client datagram upstream.
  void send(const char* data, std::size_t size);
  bool idle_since(std::chrono::steady_clock::time_point cutoff) const {
    return last_active_ < cutoff;
  }
  // The listener's route changed: true if this flow's endpoint is still in it (the flow then
  // follows the new route), false if the flow must end.
  bool follow(const RoutePtr& route);
  const RoutePtr& route() const { return route_; }
  void close();

 private:
  static constexpr int kRepliesPerTurn = 64;

  void receive();
  void drain();

  std::shared_ptr<boost::asio::ip::udp::socket> listener_socket_;
  boost::asio::ip::udp::endpoint client_;
  boost::asio::ip::udp::socket upstream_;
  RoutePtr route_;  // holds the snapshot the endpoint came from
  EndpointState* endpoint_ = nullptr;
  std::shared_ptr<EndpointState> endpoint_hold_;
  std::shared_ptr<Buffer> reply_buffer_;
  std::chrono::steady_clock::time_point last_active_;
  bool closed_ = false;
};

}  // namespace skiff::proxy
