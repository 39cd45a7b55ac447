#include "dns/worker.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "dns/dns_metrics.h"

namespace skiff::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Bounds the memory a flood of idle TCP connections can take from one worker.
constexpr std::size_t kMaxTcpSessions = 256;

// SO_RCVBUF of the UDP sockets: a few thousand small queries.
constexpr int kUdpReceiveBuffer = 1 << 20;

// Batches taken in one readiness callback before TCP and timers get their turn.
constexpr int kMaxRounds = 8;

// The longest presentation name: 255 wire octets, each possibly escaped as \DDD.
constexpr std::size_t kMaxNameText = 4 * kMaxNameWire;

}  // namespace

Worker::Worker(WorkerShared shared)
    : shared_(shared), zone_(shared.zones), in_(new uint8_t[kBatch * kQueryMax]) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    in_iov_[i] = {in_.get() + i * kQueryMax, kQueryMax};
    out_[i].reserve(kMaxUdpLimit);
  }
  query_.question.name.reserve(kMaxNameText);
  query_.qname_wire.reserve(kMaxNameWire);
}

Worker::~Worker() { join(); }

error_code Worker::open(const asio::ip::address& address, uint16_t port) {
  error_code ec;
  const udp::endpoint udp_endpoint(address, port);
  udp_.open(udp_endpoint.protocol(), ec);
  if (!ec) udp_.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) udp_.set_option(ReusePort(true), ec);
  if (!ec) udp_.bind(udp_endpoint, ec);
  if (!ec) udp_.non_blocking(true, ec);
  if (!ec) {
    // Best effort (the kernel caps it at net.core.rmem_max): room for a burst of queries while
    // the worker is descheduled, rather than drops.
    error_code ignored;
    udp_.set_option(asio::socket_base::receive_buffer_size(kUdpReceiveBuffer), ignored);
  }
  if (!ec) {
    // UDP_SEGMENT as a socket option is the probe for GSO: a kernel without it (before 4.18)
    // refuses the option, and would ignore the control message, sending a group as one datagram.
    const int off = 0;
    batch_.set_grouping(
        ::setsockopt(udp_.native_handle(), SOL_UDP, UDP_SEGMENT, &off, sizeof(off)) == 0);
    if (!batch_.grouping()) spdlog::info("dns: no UDP GSO on this kernel, replies go one by one");
  }
  if (!ec) port_ = udp_.local_endpoint(ec).port();
  const tcp::endpoint tcp_endpoint(address, port_);
  if (!ec) acceptor_.open(tcp_endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(ReusePort(true), ec);
  if (!ec) acceptor_.bind(tcp_endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    udp_.close(ignored);
    acceptor_.close(ignored);
    port_ = 0;
  }
  return ec;
}

void Worker::start() {
  work_.emplace(io_.get_executor());
  wait_readable();
  accept();
  thread_ = std::thread([this] {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        // Handlers do not throw by design; if one does, the worker keeps serving.
        spdlog::error("dns: worker handler threw: {}", e.what());
      }
    }
  });
}

void Worker::stop() {
  asio::post(io_, [this] {
    close_all();
    work_.reset();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::close_all() {
  error_code ignored;
  udp_.close(ignored);
  acceptor_.close(ignored);
  accept_retry_.cancel();
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [raw, weak] : sessions) {
    if (auto s = weak.lock()) s->close();
  }
}

bool Worker::allowed(const asio::ip::address& address) const {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return shared_.allowed.contains(bytes.data(), bytes.size());
  }
  const auto bytes = address.to_v6().to_bytes();
  return shared_.allowed.contains(bytes.data(), bytes.size());
}

bool Worker::allowed(const sockaddr_storage& from) const {
  if (from.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(from);
    return shared_.allowed.contains(reinterpret_cast<const uint8_t*>(&in.sin_addr), 4);
  }
  if (from.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(from);
    return shared_.allowed.contains(reinterpret_cast<const uint8_t*>(&in6.sin6_addr), 16);
  }
  return false;
}

void Worker::wait_readable() {
  udp_.async_wait(udp::socket::wait_read, [this](const error_code& ec) {
    if (!udp_.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) spdlog::debug("dns: UDP wait: {}", ec.message());
    serve_udp();
  });
}

void Worker::serve_udp() {
  if (drain_udp()) {
    wait_readable();
    return;
  }
  // Datagrams are still queued. The reactor is edge-triggered, so waiting now could leave them
  // there until another one arrives: let TCP and timers run, then carry on draining.
  asio::post(io_, [this] {
    if (udp_.is_open()) serve_udp();
  });
}

bool Worker::drain_udp() {
  const int fd = udp_.native_handle();
  for (int round = 0; round < kMaxRounds; ++round) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      msghdr& h = in_msgs_[i].msg_hdr;
      h = {};
      h.msg_name = &from_[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &in_iov_[i];
      h.msg_iovlen = 1;
      in_msgs_[i].msg_len = 0;
    }
    const int n = ::recvmmsg(fd, in_msgs_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK) return true;
      // An error on an unconnected UDP socket (EINTR, an ICMP error reported for an earlier
      // reply) concerns one datagram, not the socket.
      if (errno != EINTR) spdlog::debug("dns: UDP receive: {}", std::strerror(errno));
      continue;
    }
    const Clock::time_point received = Clock::now();
    batch_.clear();
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) answer_datagram(i, received);
    send_replies();
    // Not done on a short batch: more queries often arrive while the replies go out, and one
    // more recvmmsg() is cheaper than going back to epoll for them.
  }
  return false;
}

void Worker::answer_datagram(std::size_t i, Clock::time_point received) {
  const msghdr& h = in_msgs_[i].msg_hdr;
  std::vector<uint8_t>& out = out_[batch_.replies()];
  const std::span<const uint8_t> packet(in_.get() + i * kQueryMax,
                                        std::min<std::size_t>(in_msgs_[i].msg_len, kQueryMax));
  Disposition d;
  if (h.msg_flags & MSG_TRUNC) {
    // Larger than any sensible query: say so from its header rather than parse a stump.
    d = encode_error(packet, Rcode::kFormErr, out) ? Disposition::kReply : Disposition::kDrop;
  } else {
    d = shared_.answerer.respond(packet, allowed(from_[i]), Transport::kUdp, zone_.get(), query_,
                                 out);
  }
  if (d == Disposition::kForward) {
    udp::endpoint to;
    std::memcpy(to.data(), &from_[i], h.msg_namelen);
    to.resize(h.msg_namelen);
    forward(query_, udp_limit(query_), received, [this, to](const std::vector<uint8_t>& reply) {
      error_code ec;
      udp_.send_to(asio::buffer(reply), to, 0, ec);
      if (ec) spdlog::debug("dns: UDP send to {}: {}", to.address().to_string(), ec.message());
    });
    return;
  }
  if (d != Disposition::kReply || out.empty()) return;
  if (shared_.metrics) shared_.metrics->duration(Clock::now() - received);
  batch_.add(&from_[i], h.msg_namelen, out);
}

void Worker::send_replies() {
  batch_.build();
  const std::span<mmsghdr> messages = batch_.messages();
  const int fd = udp_.native_handle();
  std::size_t sent = 0;
  while (sent < messages.size()) {
    const int n = ::sendmmsg(fd, messages.data() + sent,
                             static_cast<unsigned>(messages.size() - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int error = n < 0 ? errno : 0;
    if (batch_.segment_size(sent) != 0 && error != EAGAIN && error != EWOULDBLOCK) {
      // GSO refused for this route (no checksum offload: EIO; a segment over its MTU: EINVAL):
      // the replies themselves are fine.
      spdlog::debug("dns: UDP GSO send: {}; sending the group one by one", std::strerror(error));
      send_one_by_one(sent);
    } else {
      // The send buffer is full or this client is unreachable: drop the reply, as the network
      // would drop it, and go on with the next one.
      spdlog::debug("dns: UDP send: {}", error ? std::strerror(error) : "nothing sent");
    }
    ++sent;
  }
}

void Worker::send_one_by_one(std::size_t message) {
  const msghdr& h = batch_.messages()[message].msg_hdr;
  for (const iovec& reply : batch_.segments(message)) {
    if (::sendto(udp_.native_handle(), reply.iov_base, reply.iov_len, MSG_DONTWAIT,
                 static_cast<const sockaddr*>(h.msg_name), h.msg_namelen) < 0) {
      spdlog::debug("dns: UDP send: {}", std::strerror(errno));
    }
  }
}

void Worker::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;
    if (!ec && sessions_.size() < kMaxTcpSessions) {
      error_code peer_ec;
      const auto peer = socket.remote_endpoint(peer_ec);
      const bool ok = !peer_ec && allowed(peer.address());
      auto answer = [this, ok](std::span<const uint8_t> packet, Query& query,
                               std::vector<uint8_t>& out) {
        const Clock::time_point received = Clock::now();
        const Disposition d =
            shared_.answerer.respond(packet, ok, Transport::kTcp, zone_.get(), query, out);
        if (d == Disposition::kReply && shared_.metrics) {
          shared_.metrics->duration(Clock::now() - received);
        }
        return d;
      };
      TcpSession::ForwardFn forward_fn;
      if (shared_.forwarder) {
        forward_fn = [this](const Query& query,
                            std::function<void(const std::vector<uint8_t>&)> send) {
          forward(query, kMaxMessage, Clock::now(), std::move(send));
        };
      }
      auto session = std::make_shared<TcpSession>(std::move(socket), shared_.tcp_idle_timeout,
                                                  std::move(answer), std::move(forward_fn),
                                                  [this](TcpSession* s) { sessions_.erase(s); });
      sessions_.emplace(session.get(), session);
      session->start();
    } else if (ec) {
      // Out of descriptors or similar: retrying at once would spin, so pause briefly.
      spdlog::debug("dns: TCP accept: {}", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    accept();
  });
}

void Worker::forward(const Query& query, std::size_t limit, Clock::time_point received,
                     std::function<void(const std::vector<uint8_t>&)> send) {
  auto q = std::make_shared<const Query>(query);
  shared_.forwarder->resolve(query, [this, q, limit, received,
                                     send = std::move(send)](std::optional<Answer> answer) mutable {
    asio::post(io_,
               [this, q, limit, received, answer = std::move(answer), send = std::move(send)]() {
                 Answer a;
                 if (answer) {
                   a = std::move(*answer);
                 } else {
                   a.rcode = Rcode::kServFail;
                   a.recursion_available = true;
                 }
                 // One allocation per forwarded answer: upstream latency dwarfs it.
                 std::vector<uint8_t> out;
                 encode_response(*q, a, limit, out);
                 if (shared_.metrics) {
                   shared_.metrics->response(static_cast<uint16_t>(a.rcode));
                   shared_.metrics->duration(Clock::now() - received);
                 }
                 send(out);
               });
  });
}

}  // namespace skiff::dns
