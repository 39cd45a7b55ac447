// Owner-reference garbage collection: an object whose ownerReferences all name objects that
// no longer exist (by uid) is deleted, pods gracefully. Deleting a Deployment thus removes its
// ReplicaSets, whose deletion removes their Pods (background cascading deletion).
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

// Pure: the (kind, namespace, name) of objects in `objects` whose owners are all absent from
// `live_uids`. Objects without ownerReferences are never orphans.
struct OrphanRef {
  Kind kind;
  std::string ns;
  std::string name;
  bool operator<(const OrphanRef& o) const {
    return std::tie(kind, ns, name) < std::tie(o.kind, o.ns, o.name);
  }
};
std::vector<OrphanRef> find_orphans(const std::vector<ObjectPtr>& objects,
                                    const std::set<std::string>& live_uids);

class GarbageCollector {
 public:
  GarbageCollector(boost::asio::io_context& io, Store& store);
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Watches deletions of every kind and sweeps once (orphans left by a previous run).
  void start();

 private:
  void sweep();

  Store& store_;
  WorkQueue<int> queue_;  // one key: a sweep is pending
  std::vector<uint64_t> watches_;
};

}  // namespace skiff::controller
