#include "controller/deployment_controller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "controller/deployment_rollout.h"
#include "controller/event_recorder.h"
#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"
#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

constexpr std::chrono::milliseconds kRetryDelay{1000};

ReplicaSetCounts counts_of(const config::ReplicaSet& rs, int pods) {
  return {rs.metadata.name, rs.spec.replicas, rs.status.replicas, rs.status.available_replicas,
          pods};
}

// Oldest first: by revision, then creation time, then name.
bool older(const config::ReplicaSet* a, const config::ReplicaSet* b) {
  int ra = revision_of(a->metadata), rb = revision_of(b->metadata);
  if (ra != rb) return ra < rb;
  if (a->metadata.creation_timestamp != b->metadata.creation_timestamp) {
    return a->metadata.creation_timestamp < b->metadata.creation_timestamp;
  }
  return a->metadata.name < b->metadata.name;
}

}  // namespace

DeploymentController::DeploymentController(boost::asio::io_context& io, Store& store, Clock clock,
                                           EventRecorder* events)
    : store_(store),
      clock_(clock ? std::move(clock) : Clock(rfc3339_now)),
      events_(events),
      queue_(io, "deployment", [this](const ObjectKey& k) { reconcile(k); }) {}

DeploymentController::~DeploymentController() {
  for (auto id : watches_) store_.unwatch(id);
}

void DeploymentController::start() {
  watches_.push_back(store_.watch(Kind::kDeployment, [this](const WatchEvent& e) {
    const auto& m = config::meta(*e.object);
    queue_.add({m.namespace_, m.name});
  }));
  watches_.push_back(store_.watch(Kind::kReplicaSet, [this](const WatchEvent& e) {
    for (const auto* obj : {e.object.get(), e.previous.get()}) {
      if (!obj) continue;
      const auto& m = config::meta(*obj);
      if (const auto* ref = controller_ref(m); ref && ref->kind == config::Deployment::kKind) {
        queue_.add({m.namespace_, ref->name});
      }
    }
  }));
  watches_.push_back(store_.watch(Kind::kPod, [this](const WatchEvent& e) {
    if (e.type == WatchEvent::Type::kDeleted) queue_owner_of_pod(config::meta(*e.object));
  }));
  for (const auto& d : store_.list(Kind::kDeployment)) {
    const auto& m = config::meta(*d);
    queue_.add({m.namespace_, m.name});
  }
}

void DeploymentController::queue_owner_of_pod(const config::ObjectMeta& pod_meta) {
  const auto* ref = controller_ref(pod_meta);
  if (!ref || ref->kind != config::ReplicaSet::kKind) return;
  auto rs_ptr = store_.get(Kind::kReplicaSet, pod_meta.namespace_, ref->name);
  const auto* rs = as<config::ReplicaSet>(rs_ptr);
  if (!rs) return;
  if (const auto* owner = controller_ref(rs->metadata);
      owner && owner->kind == config::Deployment::kKind) {
    queue_.add({pod_meta.namespace_, owner->name});
  }
}

void DeploymentController::reconcile(const ObjectKey& key) {
  auto dptr = store_.get(Kind::kDeployment, key.first, key.second);
  const auto* d = as<config::Deployment>(dptr);
  if (!d) return;  // deleted: the garbage collector removes its ReplicaSets

  // The owned ReplicaSets; re-read after each change (the store applies synchronously).
  std::vector<ObjectPtr> keep;
  auto owned = [&] {
    keep.clear();
    std::vector<const config::ReplicaSet*> out;
    for (auto& p : store_.list(Kind::kReplicaSet, key.first)) {
      const auto* rs = as<config::ReplicaSet>(p);
      const auto* ref = controller_ref(rs->metadata);
      if (ref && ref->uid == d->metadata.uid) {
        out.push_back(rs);
        keep.push_back(p);
      }
    }
    std::sort(out.begin(), out.end(), older);
    return out;
  };
  auto split = [&](const std::vector<const config::ReplicaSet*>& all) {
    const config::ReplicaSet* current = nullptr;
    std::vector<const config::ReplicaSet*> old;
    for (const auto* rs : all) {
      // The newest matching set wins if (after a hash collision) several match.
      if (same_template(rs->spec.template_, d->spec.template_)) {
        if (current) old.push_back(current);
        current = rs;
      } else {
        old.push_back(rs);
      }
    }
    return std::pair(current, old);
  };
  // Pods per ReplicaSet uid, terminating ones included: Recreate starts the new pods only
  // once every old one is gone.
  auto pods_by_owner = [&] {
    std::map<std::string, int> out;
    if (d->spec.strategy.type != "Recreate") return out;
    for (const auto& p : store_.list(Kind::kPod, key.first)) {
      const auto* pod = as<config::Pod>(p);
      const auto* ref = pod ? controller_ref(pod->metadata) : nullptr;
      if (ref && pod->status.phase != "Succeeded" && pod->status.phase != "Failed") {
        ++out[ref->uid];
      }
    }
    return out;
  };
  auto old_counts = [&](const std::vector<const config::ReplicaSet*>& old) {
    auto pods = pods_by_owner();
    std::vector<ReplicaSetCounts> out;
    for (const auto* rs : old) out.push_back(counts_of(*rs, pods[rs->metadata.uid]));
    return out;
  };

  bool failed = false;
  auto warn_failed = [&](const std::string& what, const ApiError& err) {
    spdlog::warn("deployment {}/{}: {} failed: {}", key.first, key.second, what, err.message);
    failed = true;
  };
  auto scaled_event = [&](const std::string& rs_name, int from, int to) {
    if (!events_ || from == to) return;
    events_->normal(event_target(*d), kDeploymentControllerComponent, "ScalingReplicaSet",
                    fmt::format("Scaled {} replica set {} to {} from {}", to > from ? "up" : "down",
                                rs_name, to, from));
  };

  auto all = owned();
  auto [current, old] = split(all);
  int max_old_revision = 0;
  for (const auto* rs : old)
    max_old_revision = std::max(max_old_revision, revision_of(rs->metadata));

  bool created = false;
  if (!d->spec.paused) {
    if (!current) {
      auto step = plan_rollout(d->spec, ReplicaSetCounts{}, old_counts(old));
      auto hash = pod_template_hash(d->spec.template_);
      auto r = store_.create(config::Object(
          replica_set_for_template(*d, hash, step.new_replicas, max_old_revision + 1)));
      if (r) {
        created = true;
        spdlog::info("deployment {}/{}: created replica set {} (revision {})", key.first,
                     key.second, config::meta(**r).name, max_old_revision + 1);
        scaled_event(config::meta(**r).name, 0, step.new_replicas);
      } else {
        warn_failed("creating replica set " + d->metadata.name + "-" + hash, r.error());
      }
    } else {
      // A rollback to an older template makes that set the newest revision again; the
      // Deployment's annotations (change-cause) and minReadySeconds follow onto it.
      const int revision = revision_of(current->metadata) <= max_old_revision
                               ? max_old_revision + 1
                               : revision_of(current->metadata);
      config::ReplicaSet next = *current;
      next.metadata.annotations =
          new_replica_set_annotations(*d, current->metadata.annotations, revision);
      next.spec.min_ready_seconds = d->spec.min_ready_seconds;
      if (!(next.metadata.annotations == current->metadata.annotations) ||
          next.spec.min_ready_seconds != current->spec.min_ready_seconds) {
        next.metadata.resource_version = 0;
        if (auto r = store_.update(config::Object(next)); !r) {
          warn_failed("updating replica set " + next.metadata.name, r.error());
        }
      }
    }

    all = owned();
    std::tie(current, old) = split(all);
    if (current) {
      auto step = plan_rollout(d->spec, counts_of(*current, 0), old_counts(old));
      auto scale = [&](const config::ReplicaSet& rs, int replicas) {
        if (rs.spec.replicas == replicas) return;
        config::ReplicaSet next = rs;
        next.spec.replicas = replicas;
        next.metadata.resource_version = 0;
        if (auto r = store_.update(config::Object(next)); !r) {
          warn_failed("scaling replica set " + rs.metadata.name, r.error());
        } else {
          scaled_event(rs.metadata.name, rs.spec.replicas, replicas);
        }
      };
      // Copies: each update replaces the object the pointers point into.
      auto new_set = *current;
      std::vector<config::ReplicaSet> old_sets;
      for (const auto* rs : old) old_sets.push_back(*rs);
      scale(new_set, step.new_replicas);
      for (const auto& rs : old_sets) {
        if (auto it = step.old_replicas.find(rs.metadata.name); it != step.old_replicas.end()) {
          scale(rs, it->second);
        }
      }
    }

    // Old ReplicaSets beyond revisionHistoryLimit, oldest first, once scaled down.
    all = owned();
    std::tie(current, old) = split(all);
    for (const auto& name : replica_sets_to_prune(old, d->spec.revision_history_limit)) {
      auto r = store_.remove(Kind::kReplicaSet, key.first, name);
      if (!r && r.error().code != 404) {
        warn_failed("pruning " + name, r.error());
      } else {
        spdlog::info("deployment {}/{}: pruned old replica set {} (revisionHistoryLimit {})",
                     key.first, key.second, name, d->spec.revision_history_limit);
      }
    }
  }

  // Status and the revision annotation, from the state after this sync's changes.
  all = owned();
  std::tie(current, old) = split(all);
  if (current) {
    auto revision = std::to_string(revision_of(current->metadata));
    auto it = d->metadata.annotations.find(kRevisionAnnotation);
    if (it == d->metadata.annotations.end() || it->second != revision) {
      config::Deployment next = *d;
      next.metadata.annotations[kRevisionAnnotation] = revision;
      next.metadata.resource_version = 0;
      auto r = store_.update(config::Object(next));
      if (r) {
        dptr = *r;
        d = as<config::Deployment>(dptr);
      } else {
        warn_failed("setting the revision annotation", r.error());
      }
    }
  }
  const auto now = parse_rfc3339(clock_()).value_or(std::chrono::system_clock::now());
  auto plan = deployment_status(*d, current, all, created, now);
  if (!(plan.status == d->status)) {
    config::Deployment next = *d;
    next.status = plan.status;
    if (auto r = store_.update_status(config::Object(next)); !r) {
      warn_failed("status update", r.error());
    }
  }
  if (failed) {
    queue_.add_after(key, kRetryDelay);
  } else if (plan.recheck_after) {
    // One pending recheck per Deployment: a rollout reconciles often, and each would otherwise
    // leave a timer behind.
    const auto at = std::chrono::steady_clock::now() + *plan.recheck_after;
    auto it = recheck_at_.find(key);
    if (it == recheck_at_.end() || it->second <= std::chrono::steady_clock::now() ||
        at < it->second) {
      recheck_at_[key] = at;
      queue_.add_after(key, *plan.recheck_after);
    }
  }
  if (recheck_at_.size() > 2 * store_.count(Kind::kDeployment) + 16) {
    std::erase_if(recheck_at_, [now = std::chrono::steady_clock::now()](const auto& entry) {
      return entry.second <= now;
    });
  }
}

}  // namespace skiff::controller
