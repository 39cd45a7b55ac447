// EndpointState: what every worker knows about one endpoint (ip:port) of one Service port, shared
// across workers and across snapshots for as long as a snapshot or a session refers to it. All
// fields are atomics touched with relaxed ordering: they steer choices, they guard no other data.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace skiff::proxy {

// Monotonic nanoseconds, the clock of ejections and affinity.
inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct EndpointState {
  explicit EndpointState(uint64_t id) : id(id) {}
  EndpointState(const EndpointState&) = delete;
  EndpointState& operator=(const EndpointState&) = delete;

  // First ejection lasts kEjectBase; each further consecutive failure doubles it up to kEjectMax.
  static constexpr int64_t kEjectBaseNs = 1'000'000'000;
  static constexpr int64_t kEjectMaxNs = 30'000'000'000;

  const uint64_t id;                      // unique for the process; affinity remembers it
  std::atomic<int64_t> active{0};         // established + connecting sessions, all workers
  std::atomic<int64_t> ejected_until{0};  // now_ns() before which new picks avoid it
  std::atomic<uint32_t> consecutive_failures{0};

  bool ejected(int64_t now) const { return ejected_until.load(std::memory_order_relaxed) > now; }

  // A connect failed (refused, timed out): eject for a back-off that grows with consecutive
  // failures. Returns the ejection length in nanoseconds.
  int64_t record_failure(int64_t now) {
    const uint32_t failures = consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
    const int shift = static_cast<int>(std::min<uint32_t>(failures - 1, 5));
    const int64_t length = std::min(kEjectBaseNs << shift, kEjectMaxNs);
    ejected_until.store(now + length, std::memory_order_relaxed);
    return length;
  }

  // A connect succeeded: the endpoint is healthy again.
  void record_success() {
    if (consecutive_failures.load(std::memory_order_relaxed) != 0) {
      consecutive_failures.store(0, std::memory_order_relaxed);
      ejected_until.store(0, std::memory_order_relaxed);
    }
  }
};

}  // namespace skiff::proxy
