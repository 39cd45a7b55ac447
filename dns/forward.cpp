#include "dns/forward.h"

#include <ares.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "dns/dns_metrics.h"

namespace skiff::dns {

namespace {

// How long the loop sleeps at most, so stop and c-ares timeouts are noticed promptly.
constexpr int kMaxPollMs = 100;

// A recursive query for `name_wire`/`type`/`klass` with EDNS, as a stub resolver sends it.
std::vector<uint8_t> upstream_query(const std::string& name_wire, uint16_t type, uint16_t klass) {
  std::vector<uint8_t> b = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1};
  b.insert(b.end(), name_wire.begin(), name_wire.end());
  b.insert(b.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type),
                     static_cast<uint8_t>(klass >> 8), static_cast<uint8_t>(klass)});
  // OPT: root, type 41, payload 1232 (the DNS flag day size), no flags.
  b.insert(b.end(), {0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0});
  return b;
}

}  // namespace

struct Forwarder::Pending {
  Forwarder* self;
  Request request;
};

Forwarder::Forwarder(ForwarderOptions options)
    : options_(std::move(options)), cache_(options_.cache_entries) {}

config::Result<std::unique_ptr<Forwarder>> Forwarder::create(ForwarderOptions options) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    return config::ApiError{
        500, "InternalError", std::string("c-ares: ") + ares_strerror(library), {}};
  }
  std::unique_ptr<Forwarder> f(new Forwarder(std::move(options)));
  ares_options opts{};
  opts.timeout = std::max(1, f->options_.timeout_ms);
  opts.tries = std::max(1, f->options_.tries);
  ares_channel channel = nullptr;
  int rc = ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    return config::ApiError{500, "InternalError", std::string("c-ares: ") + ares_strerror(rc), {}};
  }
  if (!f->options_.upstreams.empty()) {
    std::string csv;
    for (const auto& u : f->options_.upstreams) csv += (csv.empty() ? "" : ",") + u;
    rc = ares_set_servers_ports_csv(channel, csv.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(channel);
      return config::ApiError::bad_request("DNS upstreams \"" + csv + "\": " + ares_strerror(rc));
    }
  }
  f->channel_ = channel;
  f->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (f->wake_fd_ < 0) {
    ares_destroy(channel);
    f->channel_ = nullptr;
    return config::ApiError{500, "InternalError", "eventfd failed", {}};
  }
  f->thread_ = std::thread([raw = f.get()] { raw->run(); });
  return f;
}

Forwarder::~Forwarder() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Forwarder::resolve(const Query& query, Done done) {
  if (auto hit = cache_.get(query.question, Cache::Clock::now())) {
    if (options_.metrics) {
      options_.metrics->cache_hit(hit->rcode != Rcode::kNoError || hit->answer.empty());
    }
    done(std::move(hit));
    return;
  }
  if (options_.metrics) options_.metrics->cache_miss();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      done(std::nullopt);
      return;
    }
    queue_.push_back(Request{query.question, query.qname_wire, std::move(done)});
  }
  const uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void Forwarder::send(Request request) {
  const auto packet =
      upstream_query(request.qname_wire, request.question.type, request.question.klass);
  request.sent = std::chrono::steady_clock::now();
  if (options_.metrics) options_.metrics->forward_request();
  auto* pending = new Pending{this, std::move(request)};
  ares_send(static_cast<ares_channel>(channel_), packet.data(), static_cast<int>(packet.size()),
            &Forwarder::on_response, pending);
}

void Forwarder::on_response(void* arg, int status, int, unsigned char* abuf, int alen) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  DnsMetrics* metrics = pending->self->options_.metrics;
  const auto took = std::chrono::steady_clock::now() - pending->request.sent;
  if (status != ARES_SUCCESS || !abuf || alen <= 0) {
    spdlog::debug("dns: upstream for {}: {}", pending->request.question.name,
                  ares_strerror(status));
    // ARES_EDESTRUCTION: the forwarder is stopping, not an upstream failure.
    if (metrics && status != ARES_EDESTRUCTION) {
      using E = DnsMetrics::ForwardError;
      metrics->forward_error(status == ARES_ETIMEOUT       ? E::kTimeout
                             : status == ARES_ECONNREFUSED ? E::kRefused
                             : status == ARES_EBADRESP     ? E::kMalformed
                                                           : E::kOther,
                             took);
    }
    pending->request.done(std::nullopt);
    return;
  }
  Message m;
  const ParseError e = decode_message(std::span<const uint8_t>(abuf, static_cast<size_t>(alen)), m);
  if (e != ParseError::kNone) {
    spdlog::debug("dns: upstream answer for {}: {}", pending->request.question.name, to_string(e));
    if (metrics) metrics->forward_error(DnsMetrics::ForwardError::kMalformed, took);
    pending->request.done(std::nullopt);
    return;
  }
  if (metrics) metrics->forward_response(m.rcode(), took);
  pending->self->cache_.put(pending->request.question, m, Cache::Clock::now());
  if (metrics) metrics->cache_entries(pending->self->cache_.size());
  pending->request.done(answer_from(m));
}

void Forwarder::run() {
  auto channel = static_cast<ares_channel>(channel_);
  for (;;) {
    std::deque<Request> batch;
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      batch.swap(queue_);
      stopping = stopping_;
    }
    if (stopping) {
      for (auto& r : batch) r.done(std::nullopt);
      break;
    }
    for (auto& r : batch) send(std::move(r));

    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    std::vector<pollfd> fds;
    fds.push_back({wake_fd_, POLLIN, 0});
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events) fds.push_back({socks[i], events, 0});
    }
    timeval max{0, kMaxPollMs * 1000};
    timeval tv{};
    const timeval* t = ares_timeout(channel, &max, &tv);
    const int ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
    const int ready = ::poll(fds.data(), fds.size(), std::max(ms, 1));
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      uint64_t count = 0;
      [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
    }
    bool processed = false;
    for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
      const bool writable = fds[i].revents & POLLOUT;
      ares_process_fd(channel, readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
      processed = true;
    }
    // Lets c-ares notice timeouts and retry or fail the queries whose time is up.
    if (!processed) ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
  // Pending queries end with ARES_EDESTRUCTION, so every `done` is called once.
  ares_destroy(channel);
  channel_ = nullptr;
}

}  // namespace skiff::dns
