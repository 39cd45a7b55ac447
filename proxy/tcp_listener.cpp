#include "proxy/tcp_listener.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "proxy/reuse_port.h"
#include "proxy/tcp_session.h"

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

void reset_and_close(int fd) {
  linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

ClientKey client_key(const sockaddr_storage& peer) {
  ClientKey key{};
  if (peer.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&peer);
    std::memcpy(key.data(), &a->sin6_addr, 16);
  } else if (peer.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&peer);
    key[10] = key[11] = 0xff;  // ::ffff:a.b.c.d
    std::memcpy(key.data() + 12, &a->sin_addr, 4);
  }
  return key;
}

}  // namespace

TcpListener::TcpListener(WorkerContext& context)
    : context_(context), acceptor_(context.io), pause_timer_(context.io) {}

error_code TcpListener::open(const asio::ip::address& address, uint16_t port) {
  const tcp::endpoint endpoint(address, port);
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(ReusePort(true), ec);
  // Accepted sockets inherit TCP_NODELAY from the listener: no setsockopt per connection.
  if (!ec) acceptor_.set_option(tcp::no_delay(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) acceptor_.non_blocking(true, ec);
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

void TcpListener::start() { accept_ready(); }

void TcpListener::close() {
  error_code ignored;
  pause_timer_.cancel();
  acceptor_.close(ignored);
}

void TcpListener::wait() {
  acceptor_.async_wait(tcp::acceptor::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (!ec && self->acceptor_.is_open()) self->accept_ready();
  });
}

void TcpListener::pause() {
  pause_timer_.expires_after(kPause);
  pause_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec && self->acceptor_.is_open()) self->accept_ready();
  });
}

void TcpListener::accept_ready() {
  const int listen_fd = acceptor_.native_handle();
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (paused_) {
        paused_ = false;
        spdlog::info("{}: accepting again", route_ ? route_->owner : "proxy");
      }
      dispatch(fd, peer);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      wait();  // edge-triggered: wait only once accept has said the queue is empty
      return;
    }
    if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM) continue;
    const bool exhausted =
        error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
    (exhausted ? context_.metrics.accept_emfile() : context_.metrics.accept_other()).inc();
    if (!paused_) {
      paused_ = true;
      spdlog::warn("{}: accept: {}; pausing accepts for {} ms", route_ ? route_->owner : "proxy",
                   std::strerror(error), kPause.count());
    }
    pause();
    return;
  }
  // A full batch: let sessions run, then go on accepting (the edge is still unconsumed).
  asio::post(context_.io, [self = shared_from_this()] {
    if (self->acceptor_.is_open()) self->accept_ready();
  });
}

void TcpListener::dispatch(int fd, const sockaddr_storage& peer) {
  if (!route_ || route_->endpoint_count() == 0) {
    // No ready endpoint: refuse visibly with a reset rather than leave the client waiting.
    if (route_) route_->metrics->refused_no_endpoint->inc();
    reset_and_close(fd);
    return;
  }
  if (route_->limit->active.fetch_add(1, std::memory_order_relaxed) >=
      route_->settings.max_connections) {
    route_->limit->active.fetch_sub(1, std::memory_order_relaxed);
    route_->metrics->refused_limit->inc();
    reset_and_close(fd);
    return;
  }
  TcpSession::start(context_, fd, route_, client_key(peer));
}

}  // namespace skiff::proxy
