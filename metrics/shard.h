// Shard selection for the lock-free counters and histograms: each thread writes to its own
// cache line, so hot-path increments from different proxy workers never contend; a scrape sums
// the shards.
#pragma once

#include <atomic>
#include <cstddef>

namespace skiff::metrics {

// Shards per counter or histogram. 16 covers the proxy's one-worker-per-core threads on the
// machines skiff targets; more threads than shards share lines, which stays correct (atomics)
// and only costs some contention.
inline constexpr std::size_t kShardCount = 16;

// One x86-64 / arm64 cache line. std::hardware_destructive_interference_size is not used on
// purpose: g++ warns that its value may differ between translation units.
inline constexpr std::size_t kCacheLine = 64;

namespace detail {
inline std::atomic<std::size_t> next_shard{0};
}  // namespace detail

// The calling thread's shard, fixed for the thread's life: threads take shards round-robin in
// the order they first touch a metric.
inline std::size_t this_thread_shard() noexcept {
  thread_local const std::size_t shard =
      detail::next_shard.fetch_add(1, std::memory_order_relaxed) % kShardCount;
  return shard;
}

}  // namespace skiff::metrics
