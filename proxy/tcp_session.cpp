#include "proxy/tcp_session.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace skiff::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Syscall rounds one direction may run before yielding to the worker's other sessions.
constexpr int kRoundsPerTurn = 16;
// Bytes asked of one splice into the pipe (the pipe's capacity bounds it anyway).
constexpr std::size_t kSpliceChunk = PipePool::kPipeSize;

bool transient(int error) { return error == EINTR; }
bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

// A failure that says the endpoint is not serving, as opposed to one of ours (EMFILE...).
bool endpoint_failure(const error_code& ec, bool timed_out) {
  return timed_out || ec == asio::error::connection_refused ||
         ec == asio::error::connection_reset || ec == asio::error::host_unreachable ||
         ec == asio::error::network_unreachable || ec == asio::error::timed_out;
}

}  // namespace

void TcpSession::start(WorkerContext& context, int client_fd, RoutePtr route,
                       const ClientKey& client) {
  auto* session = new TcpSession(context, client_fd, std::move(route), client);
  if (!session->client_.is_open()) {
    session->phase_ = Phase::kClosed;
  } else {
    session->connect_next();
  }
  session->maybe_release();
}

TcpSession::TcpSession(WorkerContext& context, int client_fd, RoutePtr route,
                       const ClientKey& client)
    : context_(context),
      client_(context.io),
      upstream_(context.io),
      timer_(context.io),
      route_(std::move(route)),
      client_key_(client),
      accepted_at_(Clock::now()),
      last_activity_(accepted_at_) {
  context_.sessions.add(this);
  route_->metrics->connections->inc();
  route_->metrics->active->inc();
  error_code ec;
  client_.assign(tcp::v6(), client_fd, ec);  // the protocol object only names the family
  if (ec) {
    spdlog::warn("{}: cannot watch the client socket: {}", route_->owner, ec.message());
    ::close(client_fd);
  }
  to_upstream_.from = &client_;
  to_upstream_.to = &upstream_;
  to_upstream_.bytes = route_->metrics->bytes_to_endpoint.get();
  to_client_.from = &upstream_;
  to_client_.to = &client_;
  to_client_.bytes = route_->metrics->bytes_to_client.get();
}

TcpSession::~TcpSession() {
  release_endpoint();
  PipePool::discard(to_upstream_.pipe);
  PipePool::discard(to_client_.pipe);
  route_->limit->active.fetch_sub(1, std::memory_order_relaxed);
  route_->metrics->active->dec();
  context_.sessions.remove(this);
}

void TcpSession::maybe_release() {
  if (phase_ == Phase::kClosed && pending_ == 0) delete this;
}

void TcpSession::release_endpoint() {
  if (endpoint_ == nullptr) return;
  endpoint_->active.fetch_sub(1, std::memory_order_relaxed);
  endpoint_ = nullptr;
}

// ---- connect ------------------------------------------------------------------------------

void TcpSession::connect_next() {
  const Route& route = *route_;
  while (tries_ < kMaxConnectTries) {
    PickContext pick{route.state_ptrs, std::span<const std::size_t>(tried_.data(), tries_),
                     client_key_, now_ns()};
    const auto picked = route.balancer->pick(pick);
    if (!picked) break;
    tried_[tries_++] = *picked;
    if (tries_ > 1) route.metrics->retries->inc();
    const auto& address = route.addresses[*picked];
    if (address.is_unspecified()) {
      spdlog::debug("{}: endpoint address \"{}\" is not an IP address", route.owner,
                    route.port->endpoints[*picked].ip);
      continue;
    }
    endpoint_ = route.states[*picked].get();
    endpoint_->active.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    upstream_.open(address.is_v6() ? tcp::v6() : tcp::v4(), ec);
    if (!ec) upstream_.set_option(tcp::no_delay(true), ec);
    if (ec) {
      // Our own failure (out of descriptors): another endpoint would fare no better.
      spdlog::warn("{}: cannot open a socket to the endpoint: {}", route.owner, ec.message());
      release_endpoint();
      break;
    }
    connect_deadline_ = Clock::now() + route.settings.connect_timeout;
    arm_timer();
    ++pending_;
    upstream_.async_connect(tcp::endpoint(address, route.port->endpoints[*picked].port),
                            [this](const error_code& connect_ec) {
                              --pending_;
                              on_connected(connect_ec);
                              maybe_release();
                            });
    return;
  }
  route.metrics->refused_connect_failed->inc();
  spdlog::debug("{}: no endpoint accepted the connection after {} tries", route.owner, tries_);
  abort();
}

void TcpSession::on_connected(const error_code& ec) {
  if (phase_ != Phase::kConnecting) return;
  const Route& route = *route_;
  if (ec) {
    const bool timed_out = std::exchange(connect_timed_out_, false);
    route.metrics->connect_failures->inc();
    if (endpoint_ && endpoint_failure(ec, timed_out)) {
      const int64_t now = now_ns();
      const bool was_ejected = endpoint_->ejected(now);
      const int64_t length = endpoint_->record_failure(now);
      if (!was_ejected) route.metrics->ejections->inc();
      spdlog::debug("{}: endpoint {}:{} {}; ejected for {} ms", route.owner,
                    route.port->endpoints[tried_[tries_ - 1]].ip,
                    route.port->endpoints[tried_[tries_ - 1]].port,
                    timed_out ? "timed out" : ec.message(), length / 1'000'000);
    }
    release_endpoint();
    error_code ignored;
    upstream_.close(ignored);
    connect_next();
    return;
  }
  endpoint_->record_success();
  const auto connected_at = Clock::now();
  route.metrics->connect_duration->observe(
      std::chrono::duration<double>(connected_at - accepted_at_).count());
  phase_ = Phase::kRelaying;
  connect_deadline_ = Clock::time_point::max();
  last_activity_ = connected_at;
  arm_timer();
  // Endpoints rarely speak first: wait for them rather than probe with a read that would fail.
  wait_readable(to_client_);
  pump(to_upstream_);
}

// ---- relay --------------------------------------------------------------------------------

void TcpSession::pump(Direction& d) {
  if (phase_ != Phase::kRelaying || d.eof) return;
  const int from = d.from->native_handle();
  const int to = d.to->native_handle();
  char* scratch = context_.scratch.get();
  bool moved = false;
  bool waiting = false;  // the loop ended on a wait for readiness
  for (int round = 0; round < kRoundsPerTurn; ++round) {
    if (d.in_pipe > 0) {
      const ssize_t n = ::splice(d.pipe.read_fd, nullptr, to, nullptr, d.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d.in_pipe -= static_cast<std::size_t>(n);
        d.bytes->inc(static_cast<uint64_t>(n));
        moved = true;
        continue;
      }
      if (n < 0 && transient(errno)) continue;
      if (n < 0 && would_block(errno)) {
        wait_writable(d);
        waiting = true;
        break;
      }
      abort();
      return;
    }
    if (d.held_length > 0) {
      const ssize_t n =
          ::send(to, d.held.get() + d.held_offset, d.held_length, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        d.held_offset += static_cast<std::size_t>(n);
        d.held_length -= static_cast<std::size_t>(n);
        d.bytes->inc(static_cast<uint64_t>(n));
        moved = true;
        continue;
      }
      if (n < 0 && transient(errno)) continue;
      if (n < 0 && would_block(errno)) {
        wait_writable(d);
        waiting = true;
        break;
      }
      abort();
      return;
    }
    if (d.splice) {
      if (!d.pipe.valid() && !context_.pipes.take(d.pipe)) {
        d.splice = false;  // out of descriptors: copy instead
        continue;
      }
      const ssize_t n = ::splice(from, nullptr, d.pipe.write_fd, nullptr, kSpliceChunk,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d.in_pipe = static_cast<std::size_t>(n);
        moved = true;
        continue;
      }
      if (n == 0) {
        end_of_stream(d);
        return;
      }
      if (transient(errno)) continue;
      if (would_block(errno)) {
        // The pipe was empty, so EAGAIN means the socket is: give the pipe back while idle.
        context_.pipes.give(d.pipe);
        wait_readable(d);
        waiting = true;
        break;
      }
      if (errno == EINVAL) {
        d.splice = false;  // not spliceable after all: copy
        continue;
      }
      abort();
      return;
    }
    const ssize_t n = ::recv(from, scratch, WorkerContext::kScratchSize, MSG_DONTWAIT);
    if (n > 0) {
      moved = true;
      ssize_t sent = ::send(to, scratch, static_cast<std::size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0) {
        if (!would_block(errno) && !transient(errno)) {
          abort();
          return;
        }
        sent = 0;
      }
      d.bytes->inc(static_cast<uint64_t>(sent));
      if (sent < n) {
        if (!d.held) d.held = std::make_unique<char[]>(WorkerContext::kScratchSize);
        d.held_offset = 0;
        d.held_length = static_cast<std::size_t>(n - sent);
        std::memcpy(d.held.get(), scratch + sent, d.held_length);
      }
      // A full buffer means a stream: splice from now on, copying no more.
      if (static_cast<std::size_t>(n) == WorkerContext::kScratchSize) d.splice = true;
      continue;
    }
    if (n == 0) {
      end_of_stream(d);
      return;
    }
    if (transient(errno)) continue;
    if (would_block(errno)) {
      wait_readable(d);
      waiting = true;
      break;
    }
    abort();
    return;
  }
  if (moved) last_activity_ = Clock::now();
  if (waiting) return;
  // The turn is used up with bytes still coming: let the worker's other sessions run first.
  ++pending_;
  asio::post(context_.io, [this, &d] {
    --pending_;
    pump(d);
    maybe_release();
  });
}

void TcpSession::wait_readable(Direction& d) { wait(d, *d.from, tcp::socket::wait_read); }

void TcpSession::wait_writable(Direction& d) { wait(d, *d.to, tcp::socket::wait_write); }

// One readiness wait of direction d on `socket`; the session is pumped again when it comes.
void TcpSession::wait(Direction& d, tcp::socket& socket, tcp::socket::wait_type what) {
  ++pending_;
  socket.async_wait(what, [this, &d](const error_code& ec) {
    --pending_;
    if (phase_ == Phase::kRelaying) {
      if (ec) {
        abort();
      } else {
        pump(d);
      }
    }
    maybe_release();
  });
}

void TcpSession::end_of_stream(Direction& d) {
  d.eof = true;
  context_.pipes.give(d.pipe);  // empty: EOF is only read with nothing left in it
  last_activity_ = Clock::now();
  ::shutdown(d.to->native_handle(), SHUT_WR);
  if (to_upstream_.eof && to_client_.eof) finish();
}

// ---- deadlines ----------------------------------------------------------------------------

TcpSession::Clock::time_point TcpSession::next_deadline() const {
  if (phase_ == Phase::kConnecting) return connect_deadline_;
  if (phase_ != Phase::kRelaying) return Clock::time_point::max();
  const ServiceSettings& s = route_->settings;
  auto deadline = std::min(last_activity_ + s.idle_timeout, drain_deadline_);
  if (s.max_connection_age.count() > 0) {
    deadline = std::min(deadline, accepted_at_ + s.max_connection_age);
  }
  return deadline;
}

void TcpSession::arm_timer() {
  if (phase_ == Phase::kClosed || timer_armed_) return;
  const auto deadline = next_deadline();
  if (deadline == Clock::time_point::max()) return;
  timer_armed_ = true;
  timer_deadline_ = deadline;
  timer_.expires_at(deadline);
  ++pending_;
  timer_.async_wait([this, generation = timer_generation_](const error_code& ec) {
    --pending_;
    if (generation == timer_generation_) {
      timer_armed_ = false;
      if (!ec) on_timer();
    }
    maybe_release();
  });
}

void TcpSession::shorten_timer(Clock::time_point deadline) {
  if (timer_armed_ && timer_deadline_ <= deadline) return;
  if (timer_armed_) {
    ++timer_generation_;  // the cancelled wait's handler must not touch the new one
    timer_armed_ = false;
  }
  arm_timer();  // expires_at() cancels a pending wait
}

void TcpSession::on_timer() {
  const auto now = Clock::now();
  if (phase_ == Phase::kConnecting) {
    if (now >= connect_deadline_) {
      // Closing the socket completes the pending connect with operation_aborted; the flag
      // tells on_connected it was a timeout, which ejects the endpoint.
      connect_timed_out_ = true;
      connect_deadline_ = Clock::time_point::max();
      error_code ignored;
      upstream_.close(ignored);
      return;
    }
  } else if (phase_ == Phase::kRelaying && now >= next_deadline()) {
    const ServiceSettings& s = route_->settings;
    const char* why =
        now >= drain_deadline_ ? "drain timeout"
        : (s.max_connection_age.count() > 0 && now >= accepted_at_ + s.max_connection_age)
            ? "maximum connection age"
            : "idle timeout";
    spdlog::debug("{}: closing a connection: {}", route_->owner, why);
    finish();
    return;
  }
  arm_timer();
}

// ---- snapshot updates ---------------------------------------------------------------------

void TcpSession::update(const RouteTable& table) {
  if (phase_ == Phase::kClosed) return;
  const RoutePtr* current = table.find(route_->key);
  if (current == nullptr) {
    abort();  // the Service (port) is gone: its connections go with it
  } else if (draining_ && endpoint_ && (*current)->has_endpoint(endpoint_)) {
    // The endpoint is back (e.g. it was briefly unready): stop draining. The timer, armed for
    // the drain deadline, finds nothing due and re-arms for the next one.
    draining_ = false;
    drain_deadline_ = Clock::time_point::max();
  } else if (!draining_ && endpoint_ && !(*current)->has_endpoint(endpoint_)) {
    draining_ = true;
    const auto timeout = (*current)->settings.drain_timeout;
    if (timeout.count() == 0) {
      finish();
    } else {
      drain_deadline_ = Clock::now() + timeout;
      shorten_timer(drain_deadline_);
    }
  }
  maybe_release();
}

// ---- endings ------------------------------------------------------------------------------

void TcpSession::close() {
  if (phase_ != Phase::kClosed) abort();
  maybe_release();
}

void TcpSession::finish() { close_sockets(false); }

void TcpSession::abort() { close_sockets(true); }

void TcpSession::close_sockets(bool reset) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  error_code ignored;
  timer_.cancel();
  for (tcp::socket* socket : {&client_, &upstream_}) {
    if (!socket->is_open()) continue;
    if (reset) socket->set_option(asio::socket_base::linger(true, 0), ignored);
    socket->close(ignored);  // completes pending waits with operation_aborted
  }
  for (Direction* d : {&to_upstream_, &to_client_}) {
    if (d->in_pipe > 0) {
      PipePool::discard(d->pipe);
    } else {
      context_.pipes.give(d->pipe);
    }
    d->in_pipe = 0;
    d->held.reset();
    d->held_length = 0;
  }
  release_endpoint();
}

}  // namespace skiff::proxy
