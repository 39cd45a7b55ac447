#include "proxy/tcp_session.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace skiff::proxy {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Syscall rounds one direction may run before yielding to the worker's other sessions.
constexpr int kRoundsPerTurn = 16;
// Bytes asked of one splice into the pipe (the pipe's capacity bounds it anyway).
constexpr std::size_t kSpliceChunk = PipePool::kPipeSize;
// Events that say the peer closed or failed: from then on a short read proves nothing.
constexpr uint32_t kPeerClosed = EPOLLRDHUP | EPOLLHUP | EPOLLERR;

// A failure that says the endpoint is not serving, as opposed to one of ours (EMFILE...).
bool endpoint_failure(int error, bool timed_out) {
  return timed_out || error == ECONNREFUSED || error == ECONNRESET || error == EHOSTUNREACH ||
         error == ENETUNREACH || error == ETIMEDOUT;
}

}  // namespace

void TcpSession::start(WorkerContext& context, int client_fd, RoutePtr route,
                       const ClientKey& client) {
  auto* session = new TcpSession(context, client_fd, std::move(route), client);
  if (auto ec = context.poller.add(client_fd, &session->client_, session->client_.handle)) {
    spdlog::warn("{}: cannot watch the client socket: {}", session->route_->owner, ec.message());
    session->abort();
  } else {
    session->connect_next();
  }
  session->maybe_release();
}

TcpSession::TcpSession(WorkerContext& context, int client_fd, RoutePtr route,
                       const ClientKey& client)
    : context_(context),
      timer_(context.io),
      route_(std::move(route)),
      client_key_(client),
      accepted_at_(Clock::now()),
      last_activity_(accepted_at_) {
  context_.sessions.add(this);
  route_->metrics->connections->inc();
  route_->metrics->active->inc();
  client_.session = this;
  client_.fd = client_fd;
  upstream_.session = this;
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

// One edge of one of the session's sockets, from the worker's poller.
void TcpSession::on_events(Side& side, uint32_t events) {
  if (events & kPeerClosed) side.peer_closed = true;
  if (phase_ == Phase::kConnecting) {
    // Client bytes wait: the relay reads them once the endpoint has answered. A client that
    // gives up (reset) frees its endpoint slot at once.
    if (&side == &upstream_) {
      on_connect_ready(events);
    } else if (events & EPOLLERR) {
      abort();
    }
  } else if (phase_ == Phase::kRelaying) {
    Direction& reading = &side == &client_ ? to_upstream_ : to_client_;
    Direction& writing = &side == &client_ ? to_client_ : to_upstream_;
    bool handled = false;
    if ((events & (EPOLLIN | kPeerClosed)) && reading.wait == Wait::kReadable) {
      handled = true;
      pump(reading);
    }
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && writing.wait == Wait::kWritable) {
      handled = true;
      pump(writing);
    }
    // An error no direction is waiting to see (both are held up elsewhere): reset now rather
    // than when the other socket moves.
    if ((events & EPOLLERR) && !handled) abort();
  }
  maybe_release();
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
    const int fd = ::socket(address.is_v6() ? AF_INET6 : AF_INET,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      // Our own failure (out of descriptors): another endpoint would fare no better.
      spdlog::warn("{}: cannot open a socket to the endpoint: {}", route.owner,
                   std::strerror(errno));
      release_endpoint();
      break;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    upstream_.fd = fd;
    upstream_.peer_closed = false;
    const asio::ip::tcp::endpoint target(address, route.port->endpoints[*picked].port);
    if (::connect(fd, target.data(), static_cast<socklen_t>(target.size())) != 0 &&
        errno != EINPROGRESS) {
      on_connect_failed(errno, false);
      return;
    }
    // Registered after connect(): the first edge reports the connection's outcome (at once if
    // it is already established).
    if (auto ec = context_.poller.add(fd, &upstream_, upstream_.handle)) {
      spdlog::warn("{}: cannot watch the endpoint socket: {}", route.owner, ec.message());
      ::close(fd);
      upstream_.fd = -1;
      release_endpoint();
      break;
    }
    connect_deadline_ = Clock::now() + route.settings.connect_timeout;
    arm_timer();
    return;
  }
  route.metrics->refused_connect_failed->inc();
  spdlog::debug("{}: no endpoint accepted the connection after {} tries", route.owner, tries_);
  abort();
}

void TcpSession::on_connect_ready(uint32_t events) {
  // Writable with no error or hangup: established, no need to ask (one syscall less per
  // connection). Otherwise SO_ERROR says why it failed.
  if ((events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP))) {
    on_connected(events);
    return;
  }
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(upstream_.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == 0 && (events & (EPOLLERR | EPOLLHUP))) error = ECONNRESET;
  // Still connecting (no such edge is expected) when neither: the next edge tells.
  if (error != 0) on_connect_failed(error, false);
}

void TcpSession::on_connect_failed(int error, bool timed_out) {
  const Route& route = *route_;
  route.metrics->connect_failures->inc();
  if (endpoint_ && endpoint_failure(error, timed_out)) {
    const int64_t now = now_ns();
    const bool was_ejected = endpoint_->ejected(now);
    const int64_t length = endpoint_->record_failure(now);
    if (!was_ejected) route.metrics->ejections->inc();
    spdlog::debug("{}: endpoint {}:{} {}; ejected for {} ms", route.owner,
                  route.port->endpoints[tried_[tries_ - 1]].ip,
                  route.port->endpoints[tried_[tries_ - 1]].port,
                  timed_out ? "timed out" : std::strerror(error), length / 1'000'000);
  }
  release_endpoint();
  context_.poller.remove(upstream_.handle);
  ::close(upstream_.fd);
  upstream_.fd = -1;
  connect_deadline_ = Clock::time_point::max();
  connect_next();
}

void TcpSession::on_connected(uint32_t events) {
  endpoint_->record_success();
  const auto connected_at = Clock::now();
  route_->metrics->connect_duration->observe(
      std::chrono::duration<double>(connected_at - accepted_at_).count());
  phase_ = Phase::kRelaying;
  connect_deadline_ = Clock::time_point::max();
  last_activity_ = connected_at;
  arm_timer();
  // Endpoints rarely speak first: wait for their edge rather than probe with a read.
  to_client_.wait = Wait::kReadable;
  if (events & (EPOLLIN | kPeerClosed)) pump(to_client_);
  // The client's bytes (and edges) arrived while connecting: read them now.
  pump(to_upstream_);
}

// ---- relay --------------------------------------------------------------------------------

// What one relay syscall's result means for d. EAGAIN sets what d waits for.
TcpSession::Step TcpSession::outcome(Direction& d, ssize_t n, bool writing) {
  if (n > 0) return Step::kMoved;
  if (n == 0) {
    if (!writing) return Step::kEnd;
    d.wait = Wait::kWritable;  // nothing taken (not expected): wait rather than spin
    return Step::kBlocked;
  }
  if (errno == EINTR) return Step::kAgain;
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    d.wait = writing ? Wait::kWritable : Wait::kReadable;
    return Step::kBlocked;
  }
  return Step::kFailed;
}

// Writes what d holds (in its pipe or its buffer) to `to`.
TcpSession::Step TcpSession::flush(Direction& d) {
  if (d.in_pipe > 0) {
    const ssize_t n = ::splice(d.pipe.read_fd, nullptr, d.to->fd, nullptr, d.in_pipe,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    const Step step = outcome(d, n, true);
    if (step == Step::kMoved) {
      d.in_pipe -= static_cast<std::size_t>(n);
      d.bytes->inc(static_cast<uint64_t>(n));
    }
    return step;
  }
  const ssize_t n =
      ::send(d.to->fd, d.held.get() + d.held_offset, d.held_length, MSG_NOSIGNAL | MSG_DONTWAIT);
  const Step step = outcome(d, n, true);
  if (step == Step::kMoved) {
    d.held_offset += static_cast<std::size_t>(n);
    d.held_length -= static_cast<std::size_t>(n);
    d.bytes->inc(static_cast<uint64_t>(n));
  }
  return step;
}

// Reads from `from` and, in copy mode, writes straight on to `to`. `drained` is set when the
// read proved `from` empty without an EAGAIN (see the header).
TcpSession::Step TcpSession::read_in(Direction& d, bool& drained) {
  if (d.splice) {
    if (!d.pipe.valid() && !context_.pipes.take(d.pipe)) {
      d.splice = false;  // out of descriptors: copy instead
      return Step::kAgain;
    }
    const ssize_t n = ::splice(d.from->fd, nullptr, d.pipe.write_fd, nullptr, kSpliceChunk,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n < 0 && errno == EINVAL) {
      d.splice = false;  // not spliceable after all: copy
      return Step::kAgain;
    }
    const Step step = outcome(d, n, false);
    if (step == Step::kMoved) d.in_pipe = static_cast<std::size_t>(n);
    // The pipe is empty, so EAGAIN means the socket is: give the pipe back while idle.
    if (step == Step::kBlocked || step == Step::kEnd) context_.pipes.give(d.pipe);
    return step;
  }
  char* scratch = context_.scratch.get();
  const ssize_t n = ::recv(d.from->fd, scratch, WorkerContext::kScratchSize, MSG_DONTWAIT);
  const Step step = outcome(d, n, false);
  if (step != Step::kMoved) return step;
  const auto length = static_cast<std::size_t>(n);
  // A full buffer means a stream: splice from now on, copying no more.
  if (length == WorkerContext::kScratchSize) d.splice = true;
  drained = length < WorkerContext::kScratchSize && !d.from->peer_closed;
  ssize_t sent = ::send(d.to->fd, scratch, length, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Step::kFailed;
    sent = 0;
  }
  d.bytes->inc(static_cast<uint64_t>(sent));
  if (static_cast<std::size_t>(sent) < length) {
    if (!d.held) d.held = std::make_unique<char[]>(WorkerContext::kScratchSize);
    d.held_offset = 0;
    d.held_length = length - static_cast<std::size_t>(sent);
    std::memcpy(d.held.get(), scratch + sent, d.held_length);
    d.wait = Wait::kWritable;  // `to` is full: the rest goes on its next edge
    return Step::kBlocked;
  }
  return Step::kMoved;
}

// Moves d's bytes until `from` is drained or `to` is full (then waits for that socket's next
// edge), EOF, an error, or the end of the turn (then the rest runs after other sessions).
void TcpSession::pump(Direction& d) {
  if (phase_ != Phase::kRelaying || d.eof) return;
  d.wait = Wait::kNone;
  bool moved = false;
  bool stopped = false;  // waiting for an edge
  for (int round = 0; round < kRoundsPerTurn && !stopped; ++round) {
    bool drained = false;
    const Step step = d.in_pipe > 0 || d.held_length > 0 ? flush(d) : read_in(d, drained);
    switch (step) {
      case Step::kMoved:
        moved = true;
        if (drained) {
          d.wait = Wait::kReadable;
          stopped = true;
        }
        break;
      case Step::kAgain:
        break;
      case Step::kBlocked:
        stopped = true;
        break;
      case Step::kEnd:
        end_of_stream(d);
        return;
      case Step::kFailed:
        abort();
        return;
    }
  }
  if (moved) last_activity_ = Clock::now();
  if (stopped) return;
  // The turn is used up with bytes still coming: let the worker's other sessions run first.
  ++pending_;
  asio::post(context_.io, [this, &d] {
    --pending_;
    pump(d);
    maybe_release();
  });
}

void TcpSession::end_of_stream(Direction& d) {
  d.eof = true;
  d.wait = Wait::kNone;
  context_.pipes.give(d.pipe);  // empty: EOF is only read with nothing left in it
  last_activity_ = Clock::now();
  ::shutdown(d.to->fd, SHUT_WR);
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
      on_connect_failed(ETIMEDOUT, true);  // ejects the endpoint and tries the next one
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
  timer_.cancel();
  for (Side* side : {&client_, &upstream_}) {
    if (side->fd < 0) continue;
    if (reset) {
      const linger now{1, 0};
      ::setsockopt(side->fd, SOL_SOCKET, SO_LINGER, &now, sizeof now);
    }
    context_.poller.remove(side->handle);
    ::close(side->fd);
    side->fd = -1;
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
    d->wait = Wait::kNone;
  }
  release_endpoint();
}

}  // namespace skiff::proxy
