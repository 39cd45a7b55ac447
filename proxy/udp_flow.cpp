#include "proxy/udp_flow.h"

#include <spdlog/spdlog.h>

#include <boost/asio/buffer.hpp>
#include <vector>

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;

UdpFlow::UdpFlow(std::shared_ptr<udp::socket> listener_socket, udp::endpoint client, Route route)
    : listener_socket_(std::move(listener_socket)),
      client_(client),
      upstream_(listener_socket_->get_executor()),
      route_(std::move(route)),
      reply_buffer_(std::make_unique<std::array<char, kDatagramMax>>()),
      last_active_(std::chrono::steady_clock::now()) {}

bool UdpFlow::start(std::size_t index) {
  const auto& target = route_.port->endpoints.at(index);
  error_code ec;
  auto address = asio::ip::make_address(target.ip, ec);
  // A connected UDP socket only accepts datagrams from the endpoint, and connect() does not
  // block: it sends nothing.
  if (!ec) upstream_.open(address.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) upstream_.connect(udp::endpoint(address, target.port), ec);
  if (ec) {
    spdlog::debug("{}: UDP flow to {}:{}: {}", route_.owner, target.ip, target.port, ec.message());
    return false;
  }
  receive();
  return true;
}

void UdpFlow::send(const char* data, std::size_t size) {
  if (closed_) return;
  last_active_ = std::chrono::steady_clock::now();
  // The listener reuses its receive buffer at once, so the datagram is copied for the send.
  auto copy = std::make_shared<std::vector<char>>(data, data + size);
  upstream_.async_send(asio::buffer(*copy),
                       [self = shared_from_this(), copy](const error_code&, std::size_t) {
                         // Lost like any datagram; a refusal shows up on the next receive.
                       });
}

void UdpFlow::receive() {
  upstream_.async_receive(asio::buffer(*reply_buffer_), [self = shared_from_this()](
                                                            const error_code& ec, std::size_t n) {
    if (self->closed_ || ec == asio::error::operation_aborted) return;
    if (ec == asio::error::connection_refused) {
      self->receive();  // ICMP port unreachable for an earlier datagram; keep the flow
      return;
    }
    if (ec) {
      self->close();
      return;
    }
    self->last_active_ = std::chrono::steady_clock::now();
    // One reply buffer: the next receive waits until this reply is sent.
    self->listener_socket_->async_send_to(asio::buffer(self->reply_buffer_->data(), n),
                                          self->client_, [self](const error_code&, std::size_t) {
                                            if (!self->closed_) self->receive();
                                          });
  });
}

void UdpFlow::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  upstream_.close(ignored);
}

}  // namespace skiff::proxy
