// Deployment decisions, pure: the ReplicaSet a template needs, the rolling-update and
// Recreate scaling steps (Kubernetes' maxSurge/maxUnavailable arithmetic) and the status.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kChangeCauseAnnotation = "kubernetes.io/change-cause";

// A percentage resolves against `total`: maxSurge rounds up, maxUnavailable rounds down.
// Malformed values count as 0.
int resolve_int_or_percent(const config::IntOrString& v, int total, bool round_up);

struct RolloutLimits {
  int max_surge = 0;
  int max_unavailable = 0;
};
// Both zero is impossible in Kubernetes (validation); as its controller does, unavailable
// then becomes 1 so a rollout can make progress.
RolloutLimits rollout_limits(const config::DeploymentSpec& spec);

// What the rollout arithmetic needs of one ReplicaSet.
struct ReplicaSetCounts {
  std::string name;
  int spec_replicas = 0;
  int status_replicas = 0;  // pods that exist (status.replicas)
  int available = 0;        // status.availableReplicas
};

struct RolloutStep {
  int new_replicas = 0;
  std::map<std::string, int> old_replicas;  // only the old ReplicaSets whose count changes
};

// One reconcile step of the Deployment's strategy. `old_sets` are ordered oldest first (they
// are scaled down in that order).
//   RollingUpdate: scale the new set up while the total stays <= replicas + maxSurge, then
//   scale old sets down (unhealthy pods first) while availability stays >= replicas -
//   maxUnavailable, counting the new set's not-yet-available pods as unavailable.
//   Recreate: old sets go to 0; the new set is scaled up once no old pod exists.
RolloutStep plan_rollout(const config::DeploymentSpec& spec, const ReplicaSetCounts& new_set,
                         const std::vector<ReplicaSetCounts>& old_sets);

// The ReplicaSet for the Deployment's current template: named "<deploy>-<hash>", the label
// pod-template-hash on itself, its selector and its template, controller ownerReference,
// the revision annotation (and change-cause, if the Deployment has one).
config::ReplicaSet replica_set_for_template(const config::Deployment& d, const std::string& hash,
                                            int replicas, int revision);

// Whether `rs_template` (with its pod-template-hash label) is the Deployment's template.
bool same_template(const config::PodTemplateSpec& rs_template,
                   const config::PodTemplateSpec& deployment_template);

int revision_of(const config::ObjectMeta& meta);  // 0 when absent or malformed

// Deployment status from its ReplicaSets (new_set may be null), keeping condition times when
// a condition does not change. `now` is RFC 3339.
config::DeploymentStatus deployment_status(const config::Deployment& d,
                                           const config::ReplicaSet* new_set,
                                           const std::vector<const config::ReplicaSet*>& all,
                                           bool new_set_created, const std::string& now);

}  // namespace skiff::controller
