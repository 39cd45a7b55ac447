#include "dns/zone_source.h"

namespace skiff::dns {

namespace {

const controller::ServiceTable& empty_table() {
  static const controller::ServiceTable empty;
  return empty;
}

}  // namespace

ZoneSource::ZoneSource(const controller::ServiceTableSource& tables, ZoneOptions options)
    : tables_(tables), options_(std::move(options)) {
  // Runs on the publishing thread: only a counter moves there, the zone is built by the first
  // worker that sees the new generation.
  tables_.subscribe([weak = std::weak_ptr<State>(state_)](const controller::ServiceTablePtr&) {
    if (auto state = weak.lock()) state->generation.fetch_add(1, std::memory_order_acq_rel);
  });
}

std::shared_ptr<const Zone> ZoneSource::current() const {
  // The caller read the generation before this load, and a publication stores its table before
  // bumping the generation, so the zone returned is at least as new as the generation seen.
  auto table = tables_.current();
  std::lock_guard lock(mutex_);
  if (zone_ && table_ == table) return zone_;
  table_ = table;
  zone_ = std::make_shared<const Zone>(options_, table ? *table : empty_table());
  return zone_;
}

}  // namespace skiff::dns
