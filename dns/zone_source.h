// ZoneSource: the Zone of the latest ServiceTable snapshot, built once per snapshot and shared by
// every worker. A worker asks changed() on each query, one relaxed-cost atomic load of a counter
// the table source bumps on publication, and only when it did calls current(), which builds the
// new Zone (the first caller does, under a mutex) or returns the one already built.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "controller/service_table.h"
#include "dns/zone.h"

namespace skiff::dns {

class ZoneSource {
 public:
  // Subscribes to `tables`, which must outlive every current() call (not the ZoneSource: the
  // subscription holds only a weak reference).
  ZoneSource(const controller::ServiceTableSource& tables, ZoneOptions options);

  // Grows with every publication. A caller that saw generation g and reads g again holds the
  // zone of the current snapshot.
  uint64_t generation() const { return state_->generation.load(std::memory_order_acquire); }

  // The zone of the snapshot current now. Thread-safe.
  std::shared_ptr<const Zone> current() const;

 private:
  struct State {
    std::atomic<uint64_t> generation{0};
  };

  const controller::ServiceTableSource& tables_;
  ZoneOptions options_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  mutable std::mutex mutex_;  // guards table_ and zone_
  mutable controller::ServiceTablePtr table_;
  mutable std::shared_ptr<const Zone> zone_;
};

// A worker's view: the zone it answers from, refreshed when the generation moves.
class ZoneView {
 public:
  explicit ZoneView(const ZoneSource& source) : source_(source) {}
  const Zone& get() {
    const uint64_t g = source_.generation();
    if (!zone_ || g != seen_) {
      seen_ = g;
      zone_ = source_.current();
    }
    return *zone_;
  }

 private:
  const ZoneSource& source_;
  uint64_t seen_ = 0;
  std::shared_ptr<const Zone> zone_;
};

}  // namespace skiff::dns
