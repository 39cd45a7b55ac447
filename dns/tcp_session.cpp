#include "dns/tcp_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace skiff::dns {

namespace asio = boost::asio;
using boost::system::error_code;

TcpSession::TcpSession(asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout,
                       AnswerFn answer, ForwardFn forward,
                       std::function<void(TcpSession*)> on_close)
    : socket_(std::move(socket)),
      idle_(socket_.get_executor()),
      idle_timeout_(idle_timeout),
      answer_(std::move(answer)),
      forward_(std::move(forward)),
      on_close_(std::move(on_close)) {}

void TcpSession::start() {
  idle_.expires_after(idle_timeout_);
  watch_idle();
  read_length();
}

void TcpSession::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  socket_.close(ignored);
  idle_.cancel();
  if (on_close_) on_close_(this);
}

// Re-arming the timer (at each read) aborts the pending wait; the handler then finds the expiry
// in the future and waits again, so only a real idle period closes the connection.
void TcpSession::watch_idle() {
  idle_.async_wait([self = shared_from_this()](const error_code&) {
    if (self->closed_) return;
    if (self->idle_.expiry() <= std::chrono::steady_clock::now()) {
      spdlog::debug("dns: TCP client idle, closing");
      self->close();
      return;
    }
    self->watch_idle();
  });
}

void TcpSession::read_length() {
  idle_.expires_after(idle_timeout_);
  asio::async_read(socket_, asio::buffer(length_),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     if (self->closed_) return;
                     if (ec) {
                       self->close();  // EOF between queries is the normal end
                       return;
                     }
                     const std::size_t n = (std::size_t{self->length_[0]} << 8) | self->length_[1];
                     if (n == 0) {
                       self->close();
                       return;
                     }
                     self->read_body(n);
                   });
}

void TcpSession::read_body(std::size_t length) {
  in_.resize(length);
  asio::async_read(socket_, asio::buffer(in_),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     if (self->closed_) return;
                     if (ec) {
                       self->close();
                       return;
                     }
                     self->on_body();
                   });
}

void TcpSession::on_body() {
  const Disposition d = answer_(in_, query_, out_);
  if (d == Disposition::kForward && forward_) {
    forward_(query_, [self = shared_from_this()](const std::vector<uint8_t>& out) {
      if (self->closed_) return;
      self->out_ = out;
      self->write_out();
    });
    return;
  }
  if (d != Disposition::kReply) {
    // Not a query (or nothing to say): a TCP peer that sends responses is not a client.
    close();
    return;
  }
  write_out();
}

void TcpSession::write_out() {
  if (out_.empty() || out_.size() > kMaxMessage) {
    close();
    return;
  }
  out_length_ = {static_cast<uint8_t>(out_.size() >> 8), static_cast<uint8_t>(out_.size())};
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(out_length_), asio::buffer(out_)};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->read_length();
                    });
}

}  // namespace skiff::dns
