#include "proxy/tcp_listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

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

TcpListener::TcpListener(WorkerContext& context) : context_(context), pause_timer_(context.io) {}

TcpListener::~TcpListener() { close(); }

error_code TcpListener::open(const asio::ip::address& address, uint16_t port) {
  const tcp::endpoint endpoint(address, port);
  const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          endpoint.protocol().protocol());
  if (fd < 0) return error_code(errno, boost::system::system_category());
  const int one = 1;
  // SO_REUSEPORT: every worker binds its own socket. TCP_NODELAY: accepted sockets inherit it,
  // so no setsockopt per connection.
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      ::bind(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size())) != 0 ||
      ::listen(fd, SOMAXCONN) != 0) {
    const error_code ec(errno, boost::system::system_category());
    ::close(fd);
    return ec;
  }
  fd_ = fd;
  return {};
}

void TcpListener::start() {
  if (fd_ < 0) return;
  if (auto ec = context_.poller.add(fd_, this, handle_)) {
    spdlog::warn("{}: cannot watch the listening socket: {}", route_ ? route_->owner : "proxy",
                 ec.message());
    return;
  }
  accept_ready();  // connections already queued raise no edge of their own
}

void TcpListener::close() {
  pause_timer_.cancel();
  context_.poller.remove(handle_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void TcpListener::on_events(uint32_t) {
  if (!pausing_) accept_ready();
}

void TcpListener::pause() {
  pausing_ = true;
  pause_timer_.expires_after(kPause);
  pause_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    self->pausing_ = false;
    if (!ec && self->fd_ >= 0) self->accept_ready();
  });
}

void TcpListener::accept_ready() {
  if (fd_ < 0) return;
  const int listen_fd = fd_;
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
    // Edge-triggered: the next edge comes once accept has said the queue is empty.
    if (error == EAGAIN || error == EWOULDBLOCK) return;
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
  asio::post(context_.io, [self = shared_from_this()] { self->accept_ready(); });
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
