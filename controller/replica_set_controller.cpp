#include "controller/replica_set_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/event_recorder.h"
#include "controller/pod_state.h"
#include "controller/replica_set_plan.h"

namespace skiff::controller {
namespace {

constexpr int kMaxCreatesPerSync = 500;  // as Kubernetes' burst; the rest come next sync
constexpr std::chrono::milliseconds kRetryDelay{1000};

}  // namespace

ReplicaSetController::ReplicaSetController(boost::asio::io_context& io, Store& store, Now now,
                                           EventRecorder* events)
    : store_(store),
      now_(std::move(now)),
      events_(events),
      queue_(io, "replicaset", [this](const ObjectKey& k) { reconcile(k); }) {}

ReplicaSetController::~ReplicaSetController() {
  for (auto id : watches_) store_.unwatch(id);
}

void ReplicaSetController::start() {
  watches_.push_back(store_.watch(Kind::kReplicaSet, [this](const WatchEvent& e) {
    const auto& m = config::meta(*e.object);
    queue_.add({m.namespace_, m.name});
  }));
  watches_.push_back(store_.watch(Kind::kPod, [this](const WatchEvent& e) {
    for (const auto* obj : {e.object.get(), e.previous.get()}) {
      if (!obj) continue;
      const auto& m = config::meta(*obj);
      if (const auto* ref = controller_ref(m); ref && ref->kind == config::ReplicaSet::kKind) {
        queue_.add({m.namespace_, ref->name});
      }
    }
  }));
  for (const auto& rs : store_.list(Kind::kReplicaSet)) {
    const auto& m = config::meta(*rs);
    queue_.add({m.namespace_, m.name});
  }
}

void ReplicaSetController::reconcile(const ObjectKey& key) {
  auto ptr = store_.get(Kind::kReplicaSet, key.first, key.second);
  const auto* rs = as<config::ReplicaSet>(ptr);
  if (!rs) return;  // deleted: the garbage collector removes its pods

  auto owned_active = [&] {
    std::vector<ObjectPtr> keep;  // holds the objects the raw pointers point into
    std::vector<const config::Pod*> active;
    for (auto& p : store_.list(Kind::kPod, key.first)) {
      const auto* pod = as<config::Pod>(p);
      const auto* ref = controller_ref(pod->metadata);
      if (ref && ref->uid == rs->metadata.uid && pod_active(*pod)) {
        active.push_back(pod);
        keep.push_back(p);
      }
    }
    return std::pair(std::move(keep), std::move(active));
  };

  auto [keep, active] = owned_active();
  ReplicaPlan plan = plan_replicas(rs->spec.replicas, active);
  bool failed = false;
  for (int i = 0; i < std::min(plan.create, kMaxCreatesPerSync); ++i) {
    auto r = store_.create(pod_for_replica_set(*rs));
    if (!r) {
      spdlog::warn("replicaset {}/{}: creating a pod failed: {}", key.first, key.second,
                   r.error().message);
      if (events_) {
        events_->warning(event_target(*rs), kReplicaSetControllerComponent, "FailedCreate",
                         "Error creating: " + r.error().message);
      }
      failed = true;
      break;
    }
    if (events_) {
      events_->normal(event_target(*rs), kReplicaSetControllerComponent, "SuccessfulCreate",
                      "Created pod: " + config::meta(**r).name);
    }
  }
  if (plan.create > kMaxCreatesPerSync) queue_.add(key);
  for (const auto& name : plan.remove) {
    auto r = store_.remove(Kind::kPod, key.first, name);
    if (!r && r.error().code != 404) {
      spdlog::warn("replicaset {}/{}: deleting pod {} failed: {}", key.first, key.second, name,
                   r.error().message);
      if (events_) {
        events_->warning(event_target(*rs), kReplicaSetControllerComponent, "FailedDelete",
                         "Error deleting: " + r.error().message);
      }
      failed = true;
    } else if (r && events_) {
      events_->normal(event_target(*rs), kReplicaSetControllerComponent, "SuccessfulDelete",
                      "Deleted pod: " + name);
    }
  }
  if (failed) queue_.add_after(key, kRetryDelay);

  // Status from the state after this sync's changes (the store applied them synchronously).
  auto [keep_after, after] = owned_active();
  auto now = now_();
  config::ReplicaSet next = *rs;
  next.status = replica_set_status(*rs, after, now);
  if (!(next.status == rs->status)) {
    auto r = store_.update_status(config::Object(next));
    if (!r) {
      spdlog::warn("replicaset {}/{}: status update failed: {}", key.first, key.second,
                   r.error().message);
    }
  }
  // Ready pods become available after minReadySeconds without any event: look again then.
  std::optional<std::chrono::seconds> soonest;
  for (const auto* p : after) {
    if (auto wait = time_until_available(*p, rs->spec.min_ready_seconds, now)) {
      soonest = soonest ? std::min(*soonest, *wait) : *wait;
    }
  }
  if (soonest) queue_.add_after(key, *soonest);
}

}  // namespace skiff::controller
