#include "proxy/udp_flow.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

UdpFlow::UdpFlow(std::shared_ptr<udp::socket> listener_socket, udp::endpoint client, RoutePtr route,
                 std::shared_ptr<Buffer> buffer)
    : listener_socket_(std::move(listener_socket)),
      client_(client),
      upstream_(listener_socket_->get_executor()),
      route_(std::move(route)),
      reply_buffer_(std::move(buffer)),
      last_active_(std::chrono::steady_clock::now()) {}

UdpFlow::~UdpFlow() {
  if (endpoint_) {
    endpoint_->active.fetch_sub(1, std::memory_order_relaxed);
    route_->metrics->active->dec();
  }
}

bool UdpFlow::start(std::size_t index) {
  const auto& address = route_->addresses.at(index);
  const auto& target = route_->port->endpoints.at(index);
  error_code ec;
  if (address.is_unspecified()) ec = asio::error::invalid_argument;
  // A connected UDP socket only accepts datagrams from the endpoint, and connect() does not
  // block: it sends nothing.
  if (!ec) upstream_.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) upstream_.connect(udp::endpoint(address, target.port), ec);
  if (!ec) upstream_.non_blocking(true, ec);
  if (ec) {
    spdlog::debug("{}: UDP flow to {}:{}: {}", route_->owner, target.ip, target.port, ec.message());
    return false;
  }
  endpoint_hold_ = route_->states.at(index);
  endpoint_ = endpoint_hold_.get();
  endpoint_->active.fetch_add(1, std::memory_order_relaxed);
  route_->metrics->connections->inc();
  route_->metrics->active->inc();
  receive();
  return true;
}

bool UdpFlow::follow(const RoutePtr& route) {
  if (!route || !endpoint_ || !route->has_endpoint(endpoint_)) return false;
  route_ = route;
  return true;
}

void UdpFlow::send(const char* data, std::size_t size) {
  if (closed_) return;
  last_active_ = std::chrono::steady_clock::now();
  // Non-blocking: a full socket buffer drops the datagram, like a congested network would.
  if (::send(upstream_.native_handle(), data, size, MSG_DONTWAIT) >= 0) {
    route_->metrics->udp_to_endpoint->inc();
  }
}

void UdpFlow::receive() {
  upstream_.async_wait(udp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (!ec && !self->closed_) self->drain();
  });
}

void UdpFlow::drain() {
  for (int i = 0; i < kRepliesPerTurn; ++i) {
    error_code ec;
    const std::size_t n = upstream_.receive(asio::buffer(*reply_buffer_), 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      receive();
      return;
    }
    if (ec == asio::error::connection_refused) continue;  // ICMP for an earlier datagram
    if (ec) {
      close();
      return;
    }
    last_active_ = std::chrono::steady_clock::now();
    error_code send_ec;
    listener_socket_->send_to(asio::buffer(reply_buffer_->data(), n), client_, 0, send_ec);
    if (!send_ec) route_->metrics->udp_to_client->inc();
  }
  asio::post(upstream_.get_executor(), [self = shared_from_this()] {
    if (!self->closed_) self->drain();
  });
}

void UdpFlow::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  upstream_.close(ignored);
}

}  // namespace skiff::proxy
