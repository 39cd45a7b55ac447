#include "controller/deployment_history.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/deployment_rollout.h"
#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"

namespace skiff::controller {
namespace {

// Annotations that belong to the Deployment, kept through a rollback (kubectl's
// annotationsToSkip).
bool deployment_own_annotation(const std::string& key) {
  return key == kRevisionAnnotation || key == "deployment.kubernetes.io/revision-history" ||
         key == "deployment.kubernetes.io/desired-replicas" ||
         key == "deployment.kubernetes.io/max-replicas" ||
         key == "kubectl.kubernetes.io/last-applied-configuration";
}

const config::Condition* progressing(const config::Deployment& d) {
  for (const auto& c : d.status.conditions) {
    if (c.type == "Progressing") return &c;
  }
  return nullptr;
}

}  // namespace

RolloutStatus rollout_status(const config::Deployment& d) {
  const auto& s = d.status;
  const auto& name = d.metadata.name;
  if (d.metadata.generation > s.observed_generation) {
    return {"Waiting for deployment spec update to be observed...", false, false};
  }
  if (const auto* c = progressing(d); c && c->reason == kProgressDeadlineExceeded) {
    return {fmt::format("deployment \"{}\" exceeded its progress deadline", name), false, true};
  }
  if (s.updated_replicas < d.spec.replicas) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} out of {} new "
                        "replicas have been updated...",
                        name, s.updated_replicas, d.spec.replicas),
            false, false};
  }
  if (s.replicas > s.updated_replicas) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} old replicas are "
                        "pending termination...",
                        name, s.replicas - s.updated_replicas),
            false, false};
  }
  if (s.available_replicas < s.updated_replicas) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} of {} updated "
                        "replicas are available...",
                        name, s.available_replicas, s.updated_replicas),
            false, false};
  }
  return {fmt::format("deployment \"{}\" successfully rolled out", name), true, false};
}

std::vector<const config::ReplicaSet*> owned_replica_sets(
    const config::Deployment& d, const std::vector<config::ReplicaSet>& sets) {
  std::vector<const config::ReplicaSet*> out;
  for (const auto& rs : sets) {
    const auto* ref = controller_ref(rs.metadata);
    if (ref && ref->uid == d.metadata.uid && rs.metadata.namespace_ == d.metadata.namespace_) {
      out.push_back(&rs);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return revision_of(a->metadata) < revision_of(b->metadata);
  });
  return out;
}

std::vector<RevisionEntry> revision_history(const config::Deployment& d,
                                            const std::vector<config::ReplicaSet>& sets) {
  std::vector<RevisionEntry> out;
  for (const auto* rs : owned_replica_sets(d, sets)) {
    const int revision = revision_of(rs->metadata);
    if (revision <= 0) continue;
    RevisionEntry e;
    e.revision = revision;
    if (auto it = rs->metadata.annotations.find(kChangeCauseAnnotation);
        it != rs->metadata.annotations.end()) {
      e.change_cause = it->second;
    }
    e.replica_set = rs;
    out.push_back(std::move(e));
  }
  return out;
}

config::Result<const config::ReplicaSet*> rollback_source(
    const config::Deployment& d, const std::vector<config::ReplicaSet>& sets, int to_revision) {
  if (to_revision < 0) {
    return config::ApiError::bad_request(
        fmt::format("unable to find specified revision {} in history", to_revision));
  }
  auto history = revision_history(d, sets);
  if (to_revision > 0) {
    for (const auto& e : history) {
      if (e.revision == to_revision) return e.replica_set;
    }
    return config::ApiError{
        404,
        "NotFound",
        fmt::format("unable to find specified revision {} in history", to_revision),
        {}};
  }
  if (history.size() < 2) {
    return config::ApiError{
        404,
        "NotFound",
        fmt::format("no rollout history found for deployment \"{}\"", d.metadata.name),
        {}};
  }
  return history[history.size() - 2].replica_set;
}

config::Deployment rolled_back(const config::Deployment& d, const config::ReplicaSet& rs,
                               bool* unchanged) {
  config::Deployment next = d;
  next.spec.template_ = rs.spec.template_;
  next.spec.template_.metadata.labels.erase(kPodTemplateHashLabel);
  if (unchanged) *unchanged = same_template(rs.spec.template_, d.spec.template_);
  config::StringMap annotations;
  for (const auto& [k, v] : d.metadata.annotations) {
    if (deployment_own_annotation(k)) annotations[k] = v;
  }
  for (const auto& [k, v] : rs.metadata.annotations) {
    if (!deployment_own_annotation(k)) annotations[k] = v;
  }
  next.metadata.annotations = std::move(annotations);
  return next;
}

}  // namespace skiff::controller
