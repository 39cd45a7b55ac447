// A distribution of observed values (latencies, sizes) over fixed bucket upper bounds chosen
// at registration. Lock-free on the hot path: observe() is a binary search plus two relaxed
// atomic adds on the calling thread's own shard; the scrape sums the shards and makes the
// bucket counts cumulative.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "metrics/shard.h"

namespace skiff::metrics {

// The Prometheus client default: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds).
std::vector<double> default_buckets();
// count bounds start, start*factor, start*factor^2, ...; throws std::invalid_argument unless
// start > 0, factor > 1 and count >= 1.
std::vector<double> exponential_buckets(double start, double factor, std::size_t count);
// count bounds start, start+width, ...; throws std::invalid_argument unless width > 0 and
// count >= 1.
std::vector<double> linear_buckets(double start, double width, std::size_t count);

// The bounds a histogram will use: a trailing +Inf is dropped (it is always implicit). Throws
// std::invalid_argument naming the problem if a bound is NaN or the bounds are not strictly
// increasing, so a bad registration fails at start-up rather than rendering nonsense.
std::vector<double> checked_bounds(std::vector<double> bounds);

class Histogram {
 public:
  // bounds go through checked_bounds (and may throw).
  explicit Histogram(std::vector<double> bounds = default_buckets());
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts v in the first bucket whose upper bound is >= v (a value equal to a bound belongs
  // to that bucket, as Prometheus' `le` says), or in +Inf. NaN goes to +Inf and makes the sum
  // NaN, as in the Go client.
  void observe(double v) noexcept {
    const std::size_t shard = this_thread_shard();
    const std::size_t slot = shard * stride_ + bucket_index(v);
    lines_[slot / kSlotsPerLine].slot[slot % kSlotsPerLine].fetch_add(1, std::memory_order_relaxed);
    sums_[shard].value.fetch_add(v, std::memory_order_relaxed);
  }

  // The finite upper bounds, strictly increasing.
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  // The index of the bucket observe(v) counts v in: bounds().size() is +Inf.
  std::size_t bucket_index(double v) const noexcept;

  // A scrape-time reading. cumulative has bounds().size() + 1 entries, non-decreasing, the
  // last (+Inf) equal to count. Observations racing with the read may be counted in the
  // buckets but not yet in sum (or the reverse); buckets and count always agree.
  struct Reading {
    std::vector<std::uint64_t> cumulative;
    double sum = 0.0;
    std::uint64_t count = 0;
  };
  Reading read() const;

 private:
  static constexpr std::size_t kSlotsPerLine = kCacheLine / sizeof(std::atomic<std::uint64_t>);
  struct alignas(kCacheLine) Line {
    std::array<std::atomic<std::uint64_t>, kSlotsPerLine> slot{};
  };
  struct alignas(kCacheLine) Sum {
    std::atomic<double> value{0.0};
  };

  std::vector<double> bounds_;
  // Slots per shard: bounds_.size() + 1 rounded up to whole lines, so shards never share one.
  std::size_t stride_;
  // kShardCount * stride_ per-bucket (non-cumulative) counts, shard-major.
  std::unique_ptr<Line[]> lines_;
  std::array<Sum, kShardCount> sums_;
};

}  // namespace skiff::metrics
