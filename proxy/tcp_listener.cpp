#include "proxy/tcp_listener.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "proxy/reuse_port.h"
#include "proxy/tcp_session.h"

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

}  // namespace

TcpListener::TcpListener(asio::io_context& io, SessionSet& sessions)
    : acceptor_(io), retry_timer_(io), sessions_(sessions) {}

error_code TcpListener::open(const asio::ip::address& address, uint16_t port) {
  const tcp::endpoint endpoint(address, port);
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(ReusePort(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

void TcpListener::start() { accept(); }

void TcpListener::close() {
  error_code ignored;
  retry_timer_.cancel();
  acceptor_.close(ignored);
}

void TcpListener::accept() {
  acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void TcpListener::on_accept(const error_code& ec, tcp::socket socket) {
  if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors or memory: accepting again at once would spin, so wait a little.
    spdlog::warn("{}: accept: {}", route_.owner, ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](const error_code& timer_ec) {
      if (!timer_ec && self->acceptor_.is_open()) self->accept();
    });
    return;
  }
  const auto picked = route_.balancer
                          ? route_.balancer->pick({route_.port ? route_.port->endpoints.size() : 0})
                          : std::nullopt;
  if (!picked) {
    // No ready endpoint: refuse visibly with a reset rather than leave the client waiting.
    error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
  } else {
    std::make_shared<TcpSession>(std::move(socket), route_, sessions_)->start(*picked);
  }
  accept();
}

}  // namespace skiff::proxy
