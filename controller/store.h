// The object store: every object skiff knows, with Kubernetes metadata, list and watch.
//
// Threading: the store is not thread-safe. It lives on the controller's event loop and every
// call (API handlers, reconcilers, engine callbacks) runs on that loop.
//
// Watchers are called synchronously after each change. A watcher must not mutate the store
// from inside the callback; it records what changed and reconciles later (post to the loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::controller {

using config::ApiError;
using config::Kind;
using config::Object;
using config::ObjectPtr;
using config::Result;

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type;
  ObjectPtr object;    // the object after the change (for kDeleted: its last state)
  ObjectPtr previous;  // before the change; null for kAdded
};

class StatePersistence;

class Store {
 public:
  using Watcher = std::function<void(const WatchEvent&)>;
  using Clock = std::function<std::string()>;  // RFC 3339 "now"; replaceable in tests

  Store();
  explicit Store(Clock clock);

  // From now on every change is written through `persistence` (nullptr: memory only) before
  // it takes effect: a change that cannot be written is refused (InternalError) and the
  // store stays as it was, as an API server whose etcd write failed.
  void set_persistence(StatePersistence* persistence) { persistence_ = persistence; }
  // Puts objects loaded from disk back as they were (uid, resourceVersion, timestamps, status
  // kept), without events, and continues the resourceVersion sequence after
  // `resource_version`. For daemon start, before anything watches; an object whose key is
  // already taken is skipped.
  void restore(std::vector<Object> objects, uint64_t resource_version);

  // Create: sets uid, resourceVersion, generation 1 and creationTimestamp; honours
  // metadata.generateName; AlreadyExists if the name is taken. Status is kept as given.
  Result<ObjectPtr> create(Object object);
  // Update of metadata (labels, annotations, ownerReferences, deletion fields) and spec; keeps
  // the stored status. A non-zero resourceVersion that is not the current one is a Conflict.
  // generation grows when the spec changed. An update that changes nothing is a no-op: no new
  // resourceVersion, no event.
  Result<ObjectPtr> update(Object object);
  // What `skiff up -f` does with each manifest object, as kubectl apply: create it, or update
  // the stored one keeping what the cluster set (a Service's clusterIP and nodePorts, status,
  // annotations the manifest does not mention).
  Result<ObjectPtr> apply(Object object);
  // Replaces only the status (the /status subresource). No-op when equal.
  Result<ObjectPtr> update_status(const Object& object);
  // Delete. A Pod that is bound to the node (spec.nodeName set) and gets a grace period > 0
  // is only marked: deletionTimestamp and deletionGracePeriodSeconds are set and the kubelet
  // removes it (with grace 0) once its containers stopped. Everything else goes at once.
  // grace: nullopt = the pod's terminationGracePeriodSeconds.
  Result<ObjectPtr> remove(Kind kind, std::string_view ns, std::string_view name,
                           std::optional<int64_t> grace_seconds = std::nullopt);

  ObjectPtr get(Kind kind, std::string_view ns, std::string_view name) const;
  // Sorted by namespace, then name. ns empty: all namespaces.
  std::vector<ObjectPtr> list(Kind kind, std::string_view ns = {}) const;
  size_t count(Kind kind) const;

  uint64_t watch(Kind kind, Watcher watcher);
  void unwatch(uint64_t id);

  // The newest resourceVersion handed out.
  uint64_t resource_version() const { return resource_version_; }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  // The stored object with the same kind, namespace and name, or NotFound.
  Result<ObjectPtr> stored_for(const Object& object) const;
  Result<ObjectPtr> commit(Kind kind, Key key, Object next, ObjectPtr previous);
  void notify(Kind kind, const WatchEvent& event);

  Clock clock_;
  uint64_t resource_version_ = 0;
  uint64_t next_watch_id_ = 1;
  StatePersistence* persistence_ = nullptr;                         // not owned; outlives the store
  std::map<Key, ObjectPtr> objects_[std::size(config::kAllKinds)];  // indexed by Kind
  std::map<uint64_t, std::pair<Kind, Watcher>> watchers_;
};

// Typed access: store.get_as<config::Pod>(...) returns nullptr when absent.
template <class T>
const T* as(const ObjectPtr& p) {
  return p ? std::get_if<T>(p.get()) : nullptr;
}

}  // namespace skiff::controller
