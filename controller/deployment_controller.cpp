#include "controller/deployment_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/deployment_rollout.h"
#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"
#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

constexpr std::chrono::milliseconds kRetryDelay{1000};

ReplicaSetCounts counts_of(const config::ReplicaSet& rs) {
  return {rs.metadata.name, rs.spec.replicas, rs.status.replicas, rs.status.available_replicas};
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

DeploymentController::DeploymentController(boost::asio::io_context& io, Store& store, Clock clock)
    : store_(store),
      clock_(clock ? std::move(clock) : Clock(rfc3339_now)),
      queue_(io, [this](const ObjectKey& k) { reconcile(k); }) {}

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
  for (const auto& d : store_.list(Kind::kDeployment)) {
    const auto& m = config::meta(*d);
    queue_.add({m.namespace_, m.name});
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

  bool failed = false;
  auto warn_failed = [&](const std::string& what, const ApiError& err) {
    spdlog::warn("deployment {}/{}: {} failed: {}", key.first, key.second, what, err.message);
    failed = true;
  };

  auto all = owned();
  auto [current, old] = split(all);
  int max_old_revision = 0;
  for (const auto* rs : old)
    max_old_revision = std::max(max_old_revision, revision_of(rs->metadata));

  bool created = false;
  if (!d->spec.paused) {
    if (!current) {
      std::vector<ReplicaSetCounts> old_counts;
      for (const auto* rs : old) old_counts.push_back(counts_of(*rs));
      auto step = plan_rollout(d->spec, ReplicaSetCounts{}, old_counts);
      auto hash = pod_template_hash(d->spec.template_);
      auto r = store_.create(config::Object(
          replica_set_for_template(*d, hash, step.new_replicas, max_old_revision + 1)));
      if (r) {
        created = true;
      } else {
        warn_failed("creating replica set " + d->metadata.name + "-" + hash, r.error());
      }
    } else if (revision_of(current->metadata) <= max_old_revision ||
               current->spec.min_ready_seconds != d->spec.min_ready_seconds) {
      // A rollback to an older template makes that set the newest revision again.
      config::ReplicaSet next = *current;
      if (revision_of(current->metadata) <= max_old_revision) {
        next.metadata.annotations[kRevisionAnnotation] = std::to_string(max_old_revision + 1);
      }
      next.spec.min_ready_seconds = d->spec.min_ready_seconds;
      next.metadata.resource_version = 0;
      if (auto r = store_.update(config::Object(next)); !r) {
        warn_failed("updating replica set " + next.metadata.name, r.error());
      }
    }

    all = owned();
    std::tie(current, old) = split(all);
    if (current) {
      std::vector<ReplicaSetCounts> old_counts;
      for (const auto* rs : old) old_counts.push_back(counts_of(*rs));
      auto step = plan_rollout(d->spec, counts_of(*current), old_counts);
      auto scale = [&](const config::ReplicaSet& rs, int replicas) {
        if (rs.spec.replicas == replicas) return;
        config::ReplicaSet next = rs;
        next.spec.replicas = replicas;
        next.metadata.resource_version = 0;
        if (auto r = store_.update(config::Object(next)); !r) {
          warn_failed("scaling replica set " + rs.metadata.name, r.error());
        }
      };
      // Copies: scaling re-lists nothing, but the pointers' objects are replaced in the store.
      auto new_set = *current;
      std::vector<config::ReplicaSet> old_sets;
      for (const auto* rs : old) old_sets.push_back(*rs);
      scale(new_set, step.new_replicas);
      for (const auto& rs : old_sets) {
        if (auto it = step.old_replicas.find(rs.metadata.name); it != step.old_replicas.end()) {
          scale(rs, it->second);
        }
      }
      // Prune scaled-down old sets beyond revisionHistoryLimit, oldest first.
      std::vector<const config::ReplicaSet*> idle;
      for (const auto& rs : old_sets) {
        auto it = step.old_replicas.find(rs.metadata.name);
        int target = it == step.old_replicas.end() ? rs.spec.replicas : it->second;
        if (target == 0 && rs.status.replicas == 0) idle.push_back(&rs);
      }
      int limit = std::max(d->spec.revision_history_limit, 0);
      for (size_t i = 0; i + limit < idle.size(); ++i) {
        auto r = store_.remove(Kind::kReplicaSet, key.first, idle[i]->metadata.name);
        if (!r && r.error().code != 404)
          warn_failed("pruning " + idle[i]->metadata.name, r.error());
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
  config::Deployment next = *d;
  next.status = deployment_status(*d, current, all, created, clock_());
  if (!(next.status == d->status)) {
    if (auto r = store_.update_status(config::Object(next)); !r) {
      warn_failed("status update", r.error());
    }
  }
  if (failed) queue_.add_after(key, kRetryDelay);
}

}  // namespace skiff::controller
