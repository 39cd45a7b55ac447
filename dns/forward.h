// Forwarder: resolves names outside the cluster zone through c-ares, against `upstreams`
// ("ip" or "ip:port", IPv6 as "[ip]:port") or, when empty, the servers of /etc/resolv.conf.
// c-ares channels are not thread-safe, so one thread owns the channel: requests are queued to
// it and completions run on it. Answers (positive and negative) are kept in a Cache.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/status.h"
#include "dns/cache.h"
#include "dns/codec.h"

namespace skiff::dns {

class DnsMetrics;

struct ForwarderOptions {
  std::vector<std::string> upstreams;
  int timeout_ms = 2000;  // per try
  int tries = 2;
  std::size_t cache_entries = 10000;
  DnsMetrics* metrics = nullptr;  // cache and upstream counters; null: not measured
};

class Forwarder {
 public:
  // `done` gets the upstream's answer, or nullopt when no upstream answered (the caller then
  // answers SERVFAIL). It runs on the forwarder's thread, or on the caller's for a cache hit, and
  // must post its work elsewhere.
  using Done = std::function<void(std::optional<Answer>)>;

  static config::Result<std::unique_ptr<Forwarder>> create(ForwarderOptions options);
  ~Forwarder();  // fails pending requests (done(nullopt)) and joins
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Thread-safe.
  void resolve(const Query& query, Done done);

 private:
  struct Request {
    Question question;
    std::string qname_wire;
    Done done;
    std::chrono::steady_clock::time_point sent{};
  };
  struct Pending;

  explicit Forwarder(ForwarderOptions options);
  void run();
  void send(Request request);
  static void on_response(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

  ForwarderOptions options_;
  Cache cache_;
  void* channel_ = nullptr;  // ares_channel, owned by the thread after create()
  int wake_fd_ = -1;         // eventfd: a request was queued or stop was asked
  std::mutex mutex_;         // guards queue_ and stopping_
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::dns
