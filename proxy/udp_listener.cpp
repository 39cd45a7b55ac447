#include "proxy/udp_listener.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "proxy/reuse_port.h"

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

UdpListener::UdpListener(asio::io_context& io, std::chrono::milliseconds idle_timeout)
    : socket_(std::make_shared<udp::socket>(io)),
      sweep_timer_(io),
      idle_timeout_(std::max(idle_timeout, std::chrono::milliseconds(1))),
      buffer_(std::make_unique<std::array<char, UdpFlow::kDatagramMax>>()) {}

error_code UdpListener::open(const asio::ip::address& address, uint16_t port) {
  const udp::endpoint endpoint(address, port);
  error_code ec;
  socket_->open(endpoint.protocol(), ec);
  if (!ec) socket_->set_option(udp::socket::reuse_address(true), ec);
  if (!ec) socket_->set_option(ReusePort(true), ec);
  if (!ec) socket_->bind(endpoint, ec);
  if (ec) {
    error_code ignored;
    socket_->close(ignored);
  }
  return ec;
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

void UdpListener::receive() {
  socket_->async_receive_from(asio::buffer(*buffer_), sender_,
                              [self = shared_from_this()](const error_code& ec, std::size_t n) {
                                self->on_receive(ec, n);
                              });
}

void UdpListener::on_receive(const error_code& ec, std::size_t n) {
  if (!socket_->is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Errors on an unconnected UDP socket (e.g. a refusal reported for a reply) concern one
    // datagram, not the listener.
    spdlog::debug("{}: UDP receive: {}", route_.owner, ec.message());
    receive();
    return;
  }
  auto it = flows_.find(sender_);
  if (it == flows_.end()) {
    const auto picked =
        route_.balancer ? route_.balancer->pick({route_.port ? route_.port->endpoints.size() : 0})
                        : std::nullopt;
    if (picked) {
      auto flow = std::make_shared<UdpFlow>(socket_, sender_, route_);
      if (flow->start(*picked)) it = flows_.emplace(sender_, std::move(flow)).first;
    }
    // No endpoint: the datagram is dropped; UDP has no reset to send.
  }
  if (it != flows_.end()) it->second->send(buffer_->data(), n);
  receive();
}

void UdpListener::schedule_sweep() {
  sweep_timer_.expires_after(idle_timeout_ / 2 + std::chrono::milliseconds(1));
  sweep_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || !self->socket_->is_open()) return;
    const auto cutoff = std::chrono::steady_clock::now() - self->idle_timeout_;
    std::erase_if(self->flows_, [&](auto& entry) {
      if (!entry.second->idle_since(cutoff)) return false;
      entry.second->close();
      return true;
    });
    self->schedule_sweep();
  });
}

}  // namespace skiff::proxy
