#include "proxy/tcp_session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/write.hpp>

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

void reset_and_close(tcp::socket& socket) {
  error_code ignored;
  if (!socket.is_open()) return;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace

TcpSession::TcpSession(tcp::socket client, Route route, SessionSet& sessions)
    : client_(std::move(client)),
      upstream_(client_.get_executor()),
      connect_timer_(client_.get_executor()),
      route_(std::move(route)),
      sessions_(sessions),
      to_upstream_{&client_, &upstream_, nullptr},
      to_client_{&upstream_, &client_, nullptr} {
  sessions_.add(this);
}

TcpSession::~TcpSession() { sessions_.remove(this); }

void TcpSession::start(std::size_t first) {
  error_code ignored;
  client_.set_option(tcp::no_delay(true), ignored);
  first_ = first;
  connect_next();
}

void TcpSession::connect_next() {
  const auto& endpoints = route_.port->endpoints;
  const std::size_t max_tries = std::min(kMaxConnectTries, endpoints.size());
  while (tries_ < max_tries) {
    const auto& target = endpoints[(first_ + tries_) % endpoints.size()];
    ++tries_;
    error_code ec;
    auto address = asio::ip::make_address(target.ip, ec);
    if (ec) {
      spdlog::debug("{}: endpoint address \"{}\" is not an IP address", route_.owner, target.ip);
      continue;
    }
    upstream_ = tcp::socket(client_.get_executor());
    connecting_ = true;
    connect_timer_.expires_after(route_.connect_timeout);
    connect_timer_.async_wait(
        [self = shared_from_this(), try_number = tries_](const error_code& timer_ec) {
          // Closing the socket makes the pending connect complete with operation_aborted. The try
          // number guards against a timer that expired just as its connect failed by itself.
          if (!timer_ec && self->connecting_ && self->tries_ == try_number) {
            error_code ignored;
            self->upstream_.close(ignored);
          }
        });
    upstream_.async_connect(tcp::endpoint(address, target.port),
                            [self = shared_from_this()](const error_code& connect_ec) {
                              self->on_connected(connect_ec);
                            });
    return;
  }
  spdlog::warn("{}: no endpoint accepted the connection after {} tries", route_.owner, tries_);
  closed_ = true;
  reset_and_close(client_);
}

void TcpSession::on_connected(const error_code& ec) {
  connecting_ = false;
  connect_timer_.cancel();
  if (closed_) return;
  if (ec) {
    spdlog::debug("{}: connect failed: {}", route_.owner, ec.message());
    error_code ignored;
    upstream_.close(ignored);
    connect_next();
    return;
  }
  error_code ignored;
  upstream_.set_option(tcp::no_delay(true), ignored);
  to_upstream_.buffer = std::make_unique<std::array<char, kBufferSize>>();
  to_client_.buffer = std::make_unique<std::array<char, kBufferSize>>();
  read(to_upstream_);
  read(to_client_);
}

void TcpSession::read(Pipe& pipe) {
  pipe.from->async_read_some(asio::buffer(*pipe.buffer), [self = shared_from_this(), &pipe](
                                                             const error_code& ec, std::size_t n) {
    self->on_read(pipe, ec, n);
  });
}

void TcpSession::on_read(Pipe& pipe, const error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec == asio::error::eof) {
    pipe.done = true;
    error_code ignored;
    pipe.to->shutdown(tcp::socket::shutdown_send, ignored);
    if (to_upstream_.done && to_client_.done) finish();
    return;
  }
  if (ec) {
    abort();
    return;
  }
  asio::async_write(*pipe.to, asio::buffer(pipe.buffer->data(), n),
                    [self = shared_from_this(), &pipe](const error_code& write_ec, std::size_t) {
                      if (self->closed_) return;
                      if (write_ec) {
                        self->abort();
                        return;
                      }
                      self->read(pipe);
                    });
}

void TcpSession::finish() {
  closed_ = true;
  error_code ignored;
  client_.close(ignored);
  upstream_.close(ignored);
}

void TcpSession::abort() {
  closed_ = true;
  connect_timer_.cancel();
  reset_and_close(client_);
  reset_and_close(upstream_);
}

void TcpSession::close() {
  if (closed_) return;
  closed_ = true;
  connect_timer_.cancel();
  error_code ignored;
  client_.close(ignored);
  upstream_.close(ignored);
}

}  // namespace skiff::proxy
