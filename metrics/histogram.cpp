#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace skiff::metrics {

std::vector<double> default_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> exponential_buckets(double start, double factor, std::size_t count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (double bound = start; bounds.size() < count; bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> linear_buckets(double start, double width, std::size_t count) {
  if (!(width > 0) || !std::isfinite(start) || count < 1) {
    throw std::invalid_argument("linear_buckets needs a finite start, width > 0, count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(count);
  for (std::size_t i = 0; i < count; ++i) bounds.push_back(start + width * static_cast<double>(i));
  return bounds;
}

std::vector<double> checked_bounds(std::vector<double> bounds) {
  if (!bounds.empty() && bounds.back() == std::numeric_limits<double>::infinity()) {
    bounds.pop_back();
  }
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i])) {
      throw std::invalid_argument("histogram bound " + std::to_string(i) + " is NaN");
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bounds must be strictly increasing (bound " +
                                  std::to_string(i) + " is not above bound " +
                                  std::to_string(i - 1) + ")");
    }
  }
  return bounds;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(checked_bounds(std::move(bounds))),
      stride_((bounds_.size() + 1 + kSlotsPerLine - 1) / kSlotsPerLine * kSlotsPerLine),
      lines_(std::make_unique<Line[]>(kShardCount * stride_ / kSlotsPerLine)) {}

std::size_t Histogram::bucket_index(double v) const noexcept {
  if (std::isnan(v)) return bounds_.size();
  return static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                  bounds_.begin());
}

Histogram::Reading Histogram::read() const {
  Reading reading;
  const std::size_t buckets = bounds_.size() + 1;
  reading.cumulative.assign(buckets, 0);
  for (std::size_t shard = 0; shard < kShardCount; ++shard) {
    for (std::size_t bucket = 0; bucket < buckets; ++bucket) {
      const std::size_t slot = shard * stride_ + bucket;
      reading.cumulative[bucket] +=
          lines_[slot / kSlotsPerLine].slot[slot % kSlotsPerLine].load(std::memory_order_relaxed);
    }
    reading.sum += sums_[shard].value.load(std::memory_order_relaxed);
  }
  for (std::size_t bucket = 1; bucket < buckets; ++bucket) {
    reading.cumulative[bucket] += reading.cumulative[bucket - 1];
  }
  reading.count = reading.cumulative.back();
  return reading;
}

}  // namespace skiff::metrics
