// Cache of forwarded answers: bounded (least recently used entries go first), honouring the
// upstream's TTLs, and holding negative answers (NXDOMAIN, NODATA) for the SOA's negative TTL
// (RFC 2308). Pure apart from a mutex: the clock is passed in. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/codec.h"

namespace skiff::dns {

class Cache {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Cache(std::size_t capacity, uint32_t max_ttl = 3600);

  // Keeps `response` to `question` for its TTL: the smallest TTL of its answer records, or for a
  // negative answer min(SOA TTL, SOA minimum). Not kept: errors other than NXDOMAIN, truncated
  // responses, negative answers without an SOA, and TTL 0.
  void put(const Question& question, const Message& response, Clock::time_point now);

  // The cached answer with every TTL reduced by the time it has been held, or nullopt.
  std::optional<Answer> get(const Question& question, Clock::time_point now);

  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    Answer answer;
    Clock::time_point stored;
    Clock::time_point expires;
  };

  static std::string key_of(const Question& q);

  std::size_t capacity_;
  uint32_t max_ttl_;
  mutable std::mutex mutex_;  // guards lru_ and index_
  std::list<Entry> lru_;      // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// The answer a client gets for a decoded upstream response: its rcode and sections (without
// the OPT record), not authoritative, recursion available.
Answer answer_from(const Message& response);

}  // namespace skiff::dns
