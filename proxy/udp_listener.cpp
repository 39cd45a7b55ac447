#include "proxy/udp_listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>

#include "proxy/reuse_port.h"

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

namespace {

ClientKey client_key(const udp::endpoint& endpoint) {
  ClientKey key{};
  const auto address = endpoint.address();
  if (address.is_v6()) {
    auto bytes = address.to_v6().to_bytes();
    std::memcpy(key.data(), bytes.data(), 16);
  } else {
    key[10] = key[11] = 0xff;
    auto bytes = address.to_v4().to_bytes();
    std::memcpy(key.data() + 12, bytes.data(), 4);
  }
  return key;
}

}  // namespace

UdpListener::UdpListener(asio::io_context& io)
    : socket_(std::make_shared<udp::socket>(io)),
      sweep_timer_(io),
      buffer_(std::make_shared<UdpFlow::Buffer>()) {}

error_code UdpListener::open(const asio::ip::address& address, uint16_t port) {
  const udp::endpoint endpoint(address, port);
  error_code ec;
  socket_->open(endpoint.protocol(), ec);
  if (!ec) socket_->set_option(udp::socket::reuse_address(true), ec);
  if (!ec) socket_->set_option(ReusePort(true), ec);
  if (!ec) socket_->bind(endpoint, ec);
  if (!ec) socket_->non_blocking(true, ec);  // replies are sent inline and dropped when full
  if (ec) {
    error_code ignored;
    socket_->close(ignored);
  }
  return ec;
}

void UdpListener::set_route(RoutePtr route) {
  route_ = std::move(route);
  // Flows whose endpoint left end now; the client's next datagram picks a live endpoint.
  std::erase_if(flows_, [&](auto& entry) {
    if (entry.second->follow(route_)) return false;
    entry.second->close();
    return true;
  });
}

void UdpListener::start() {
  receive();
  schedule_sweep();
}

void UdpListener::close() {
  error_code ignored;
  sweep_timer_.cancel();
  socket_->close(ignored);
  for (auto& [client, flow] : flows_) flow->close();
  flows_.clear();
}

std::chrono::milliseconds UdpListener::idle_timeout() const {
  const auto timeout =
      route_ ? route_->settings.udp_idle_timeout : std::chrono::milliseconds(30000);
  return std::max(timeout, std::chrono::milliseconds(1));
}

void UdpListener::receive() {
  // Edge-triggered readiness: wait only after a read said the socket is empty.
  socket_->async_wait(udp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (!ec && self->socket_->is_open()) self->drain();
  });
}

void UdpListener::drain() {
  for (int i = 0; i < kDatagramsPerTurn; ++i) {
    error_code ec;
    const std::size_t n = socket_->receive_from(asio::buffer(*buffer_), sender_, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      receive();
      return;
    }
    if (ec) {
      // Errors on an unconnected UDP socket (e.g. a refusal reported for a reply) concern one
      // datagram, not the listener.
      spdlog::debug("{}: UDP receive: {}", route_ ? route_->owner : "proxy", ec.message());
      if (!socket_->is_open()) return;
      continue;
    }
    on_datagram(n);
  }
  // A full turn: let the worker's other sockets run, then go on (the edge is unconsumed).
  asio::post(socket_->get_executor(), [self = shared_from_this()] {
    if (self->socket_->is_open()) self->drain();
  });
}

void UdpListener::on_datagram(std::size_t n) {
  auto it = flows_.find(sender_);
  if (it == flows_.end() && route_) {
    PickContext pick{route_->state_ptrs, {}, client_key(sender_), now_ns()};
    const auto picked = route_->balancer->pick(pick);
    if (picked) {
      auto flow = std::make_shared<UdpFlow>(socket_, sender_, route_, buffer_);
      if (flow->start(*picked)) it = flows_.emplace(sender_, std::move(flow)).first;
    } else {
      route_->metrics->refused_no_endpoint->inc();
    }
    // No endpoint: the datagram is dropped; UDP has no reset to send.
  }
  if (it != flows_.end()) it->second->send(buffer_->data(), n);
}

void UdpListener::schedule_sweep() {
  sweep_timer_.expires_after(idle_timeout() / 2 + std::chrono::milliseconds(1));
  sweep_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || !self->socket_->is_open()) return;
    const auto cutoff = std::chrono::steady_clock::now() - self->idle_timeout();
    std::erase_if(self->flows_, [&](auto& entry) {
      if (!entry.second->idle_since(cutoff)) return false;
      entry.second->close();
      return true;
    });
    self->schedule_sweep();
  });
}

}  // namespace skiff::proxy
