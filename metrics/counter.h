// A monotonically increasing count (requests, bytes, errors). Lock-free on the hot path:
// inc() is one relaxed fetch_add on the calling thread's own cache line; value() sums the
// shards at scrape time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "metrics/shard.h"

namespace skiff::metrics {

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(std::uint64_t n = 1) noexcept {
    shards_[this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
  }

  // The total so far. Increments racing with the read may or may not be included, but the
  // value never goes backwards between reads.
  std::uint64_t value() const noexcept {
    std::uint64_t total = 0;
    for (const auto& shard : shards_) total += shard.value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  struct alignas(kCacheLine) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Shard, kShardCount> shards_;
};

}  // namespace skiff::metrics
