#include "controller/replica_set_plan.h"

#include <algorithm>
#include <tuple>

#include "controller/pod_state.h"

namespace skiff::controller {
namespace {

int phase_rank(const std::string& phase) {
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  return 2;
}

std::string ready_since(const config::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return c.last_transition_time;
  }
  return {};
}

int restarts(const config::Pod& pod) {
  int n = 0;
  for (const auto& s : pod.status.container_statuses) n = std::max(n, s.restart_count);
  return n;
}

bool labels_cover(const config::StringMap& want, const config::StringMap& have) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

bool delete_before(const config::Pod& a, const config::Pod& b) {
  bool a_unscheduled = a.spec.node_name.empty();
  bool b_unscheduled = b.spec.node_name.empty();
  if (a_unscheduled != b_unscheduled) return a_unscheduled;
  int pa = phase_rank(a.status.phase), pb = phase_rank(b.status.phase);
  if (pa != pb) return pa < pb;
  bool ra = pod_ready(a), rb = pod_ready(b);
  if (ra != rb) return !ra;
  if (ra) {
    // Ready more recently is deleted first (RFC 3339 UTC compares as text).
    auto sa = ready_since(a), sb = ready_since(b);
    if (sa != sb) return sa > sb;
  }
  int xa = restarts(a), xb = restarts(b);
  if (xa != xb) return xa > xb;
  if (a.metadata.creation_timestamp != b.metadata.creation_timestamp) {
    return a.metadata.creation_timestamp > b.metadata.creation_timestamp;
  }
  return a.metadata.name > b.metadata.name;
}

ReplicaPlan plan_replicas(int desired, const std::vector<const config::Pod*>& active) {
  ReplicaPlan plan;
  desired = std::max(desired, 0);
  int have = static_cast<int>(active.size());
  if (have < desired) {
    plan.create = desired - have;
  } else if (have > desired) {
    std::vector<const config::Pod*> ranked = active;
    std::sort(ranked.begin(), ranked.end(),
              [](const config::Pod* a, const config::Pod* b) { return delete_before(*a, *b); });
    for (int i = 0; i < have - desired; ++i) plan.remove.push_back(ranked[i]->metadata.name);
  }
  return plan;
}

config::ReplicaSetStatus replica_set_status(const config::ReplicaSet& rs,
                                            const std::vector<const config::Pod*>& active,
                                            std::chrono::system_clock::time_point now) {
  config::ReplicaSetStatus s;
  s.replicas = static_cast<int>(active.size());
  for (const auto* p : active) {
    if (labels_cover(rs.spec.template_.metadata.labels, p->metadata.labels)) {
      s.fully_labeled_replicas++;
    }
    if (pod_ready(*p)) s.ready_replicas++;
    if (pod_available(*p, rs.spec.min_ready_seconds, now)) s.available_replicas++;
  }
  s.observed_generation = rs.metadata.generation;
  return s;
}

config::Pod pod_for_replica_set(const config::ReplicaSet& rs) {
  config::Pod pod;
  pod.metadata.generate_name = rs.metadata.name + "-";
  pod.metadata.namespace_ = rs.metadata.namespace_;
  pod.metadata.labels = rs.spec.template_.metadata.labels;
  pod.metadata.annotations = rs.spec.template_.metadata.annotations;
  pod.metadata.owner_references = {
      controller_ref_to(config::ReplicaSet::kApiVersion, config::ReplicaSet::kKind, rs.metadata)};
  pod.spec = rs.spec.template_.spec;
  return pod;
}

}  // namespace skiff::controller
