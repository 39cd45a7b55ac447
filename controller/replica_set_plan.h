// ReplicaSet decisions, pure: how many pods to create, which to delete, the status to report
// and the pod a ReplicaSet creates.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

struct ReplicaPlan {
  int create = 0;
  std::vector<std::string> remove;  // pod names, in deletion order
};

// `active` are the ReplicaSet's pods that count (pod_active). Extras are chosen as Kubernetes
// does: unscheduled first, then Pending before Unknown before Running, not-ready before ready,
// ready for less time first, more restarts first, newest first.
ReplicaPlan plan_replicas(int desired, const std::vector<const config::Pod*>& active);

// The order in which plan_replicas deletes (most deletable first).
bool delete_before(const config::Pod& a, const config::Pod& b);

// replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration.
config::ReplicaSetStatus replica_set_status(const config::ReplicaSet& rs,
                                            const std::vector<const config::Pod*>& active,
                                            std::chrono::system_clock::time_point now);

// A new pod for `rs`: generateName "<rs>-", template labels/annotations/spec, the namespace
// and a controller ownerReference.
config::Pod pod_for_replica_set(const config::ReplicaSet& rs);

}  // namespace skiff::controller
