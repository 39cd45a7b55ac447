#include "dns/worker.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/post.hpp>

namespace skiff::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Bounds the memory a flood of idle TCP connections can take from one worker.
constexpr std::size_t kMaxTcpSessions = 256;

}  // namespace

Worker::Worker(WorkerShared shared)
    : shared_(shared), buffer_(std::make_unique<std::array<uint8_t, kMaxMessage>>()) {
  out_.reserve(kMaxUdpLimit);
}

Worker::~Worker() { join(); }

error_code Worker::open(const asio::ip::address& address, uint16_t port) {
  error_code ec;
  const udp::endpoint udp_endpoint(address, port);
  udp_.open(udp_endpoint.protocol(), ec);
  if (!ec) udp_.set_option(udp::socket::reuse_address(true), ec);
  if (!ec) udp_.set_option(ReusePort(true), ec);
  if (!ec) udp_.bind(udp_endpoint, ec);
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
  receive();
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

void Worker::receive() {
  udp_.async_receive_from(asio::buffer(*buffer_), sender_,
                          [this](const error_code& ec, std::size_t n) { on_receive(ec, n); });
}

void Worker::on_receive(const error_code& ec, std::size_t n) {
  if (!udp_.is_open() || ec == asio::error::operation_aborted) return;
  if (!ec) {
    const auto table = shared_.source.current();
    const Disposition d =
        shared_.answerer.respond(std::span<const uint8_t>(buffer_->data(), n),
                                 allowed(sender_.address()), Transport::kUdp, *table, query_, out_);
    if (d == Disposition::kForward) {
      forward(query_, udp_limit(query_), [this, to = sender_](const std::vector<uint8_t>& out) {
        error_code send_ec;
        udp_.send_to(asio::buffer(out), to, 0, send_ec);
      });
    } else if (d == Disposition::kReply && !out_.empty()) {
      error_code send_ec;
      udp_.send_to(asio::buffer(out_), sender_, 0, send_ec);
      if (send_ec)
        spdlog::debug("dns: UDP send to {}: {}", sender_.address().to_string(), send_ec.message());
    }
  } else {
    // An error on an unconnected UDP socket concerns one datagram, not the socket.
    spdlog::debug("dns: UDP receive: {}", ec.message());
  }
  receive();
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
        const auto table = shared_.source.current();
        return shared_.answerer.respond(packet, ok, Transport::kTcp, *table, query, out);
      };
      TcpSession::ForwardFn forward_fn;
      if (shared_.forwarder) {
        forward_fn = [this](const Query& query,
                            std::function<void(const std::vector<uint8_t>&)> send) {
          forward(query, kMaxMessage, std::move(send));
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

void Worker::forward(const Query& query, std::size_t limit,
                     std::function<void(const std::vector<uint8_t>&)> send) {
  auto q = std::make_shared<const Query>(query);
  shared_.forwarder->resolve(
      query, [this, q, limit, send = std::move(send)](std::optional<Answer> answer) mutable {
        asio::post(io_, [q, limit, answer = std::move(answer), send = std::move(send)]() {
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
          send(out);
        });
      });
}

}  // namespace skiff::dns
