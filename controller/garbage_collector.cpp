#include "controller/garbage_collector.h"

#include <spdlog/spdlog.h>

#include "controller/pod_state.h"

namespace skiff::controller {

std::vector<OrphanRef> find_orphans(const std::vector<ObjectPtr>& objects,
                                    const std::set<std::string>& live_uids) {
  std::vector<OrphanRef> out;
  for (const auto& o : objects) {
    const auto& m = config::meta(*o);
    if (m.owner_references.empty()) continue;
    bool owned = false;
    for (const auto& ref : m.owner_references) owned = owned || live_uids.count(ref.uid) != 0;
    if (!owned) out.push_back({config::kind_of(*o), m.namespace_, m.name});
  }
  return out;
}

GarbageCollector::GarbageCollector(boost::asio::io_context& io, Store& store)
    : store_(store), queue_(io, "garbagecollector", [this](int) { sweep(); }) {}

GarbageCollector::~GarbageCollector() {
  for (auto id : watches_) store_.unwatch(id);
}

void GarbageCollector::start() {
  for (Kind kind : config::kAllKinds) {
    watches_.push_back(store_.watch(kind, [this](const WatchEvent& e) {
      if (e.type == WatchEvent::Type::kDeleted) queue_.add(0);
    }));
  }
  queue_.add(0);
}

void GarbageCollector::sweep() {
  std::set<std::string> live;
  std::vector<ObjectPtr> all;
  for (Kind kind : config::kAllKinds) {
    for (auto& o : store_.list(kind)) {
      live.insert(config::meta(*o).uid);
      all.push_back(std::move(o));
    }
  }
  for (const auto& orphan : find_orphans(all, live)) {
    if (orphan.kind == Kind::kPod) {
      const auto* pod = as<config::Pod>(store_.get(Kind::kPod, orphan.ns, orphan.name));
      if (pod && pod_terminating(*pod)) continue;  // already on its way out
    }
    // Each deletion re-queues a sweep through the watch, which takes the next level down.
    auto r = store_.remove(orphan.kind, orphan.ns, orphan.name);
    if (!r && r.error().code != 404) {
      spdlog::warn("garbage collector: deleting {}/{} failed: {}", orphan.ns, orphan.name,
                   r.error().message);
    }
  }
}

}  // namespace skiff::controller
