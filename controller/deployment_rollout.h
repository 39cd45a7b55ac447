// Deployment decisions, pure: the ReplicaSet a template needs, the rolling-update and
// Recreate scaling steps (Kubernetes' maxSurge/maxUnavailable arithmetic), the status with its
// Available and Progressing conditions (progressDeadlineSeconds), and which old ReplicaSets
// revisionHistoryLimit prunes. The arithmetic follows kube-controller-manager's
// pkg/controller/deployment (rolling.go, recreate.go, progress.go, util/deployment_util.go).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

inline constexpr const char* kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr const char* kChangeCauseAnnotation = "kubernetes.io/change-cause";

// Progressing condition reasons, as Kubernetes names them.
inline constexpr const char* kNewReplicaSetCreated = "NewReplicaSetCreated";
inline constexpr const char* kFoundNewReplicaSet = "FoundNewReplicaSet";
inline constexpr const char* kReplicaSetUpdated = "ReplicaSetUpdated";
inline constexpr const char* kNewReplicaSetAvailable = "NewReplicaSetAvailable";
inline constexpr const char* kProgressDeadlineExceeded = "ProgressDeadlineExceeded";
inline constexpr const char* kDeploymentPaused = "DeploymentPaused";
inline constexpr const char* kDeploymentResumed = "DeploymentResumed";

// A percentage resolves against `total`: maxSurge rounds up, maxUnavailable rounds down.
// Malformed values count as 0 (validation refuses them before they get here).
int resolve_int_or_percent(const config::IntOrString& v, int total, bool round_up);

struct RolloutLimits {
  int max_surge = 0;
  int max_unavailable = 0;
};
// ResolveFenceposts: both zero is refused by validation; should it happen anyway, unavailable
// becomes 1 as in Kubernetes, so a rollout can still make progress.
RolloutLimits rollout_limits(const config::DeploymentSpec& spec);
// MaxUnavailable as the Available condition uses it: 0 for Recreate or 0 replicas, never more
// than replicas.
int max_unavailable(const config::DeploymentSpec& spec);

// What the rollout arithmetic needs of one ReplicaSet.
struct ReplicaSetCounts {
  std::string name;
  int spec_replicas = 0;
  int status_replicas = 0;  // active pods (status.replicas)
  int available = 0;        // status.availableReplicas
  int pods = 0;             // pods that still exist, terminating ones included (Recreate)
};

struct RolloutStep {
  int new_replicas = 0;
  std::map<std::string, int> old_replicas;  // only the old ReplicaSets whose count changes
};

// One reconcile step of the Deployment's strategy. `old_sets` are ordered oldest first (they
// are scaled down in that order).
//   RollingUpdate: scale the new set up while the total stays <= replicas + maxSurge, then
//   scale old sets down (unavailable pods first) while availability stays >= replicas -
//   maxUnavailable, counting the new set's not-yet-available pods as unavailable.
//   Recreate: old sets go to 0; the new set is scaled up once no old pod exists any more
//   (terminating ones included), so old and new never run side by side.
RolloutStep plan_rollout(const config::DeploymentSpec& spec, const ReplicaSetCounts& new_set,
                         const std::vector<ReplicaSetCounts>& old_sets);

// The ReplicaSet for the Deployment's current template: named "<deploy>-<hash>", the label
// pod-template-hash on itself, its selector and its template, controller ownerReference,
// the revision annotation and the Deployment's own annotations (change-cause among them).
config::ReplicaSet replica_set_for_template(const config::Deployment& d, const std::string& hash,
                                            int replicas, int revision);

// The annotations the new ReplicaSet carries: the Deployment's (change-cause, user ones) minus
// the ones that belong to the Deployment alone, plus its own revision. An update is due when
// they differ from what it has.
config::StringMap new_replica_set_annotations(const config::Deployment& d,
                                              const config::StringMap& current, int revision);

// Whether `rs_template` (with its pod-template-hash label) is the Deployment's template.
bool same_template(const config::PodTemplateSpec& rs_template,
                   const config::PodTemplateSpec& deployment_template);

int revision_of(const config::ObjectMeta& meta);  // 0 when absent or malformed

struct StatusPlan {
  config::DeploymentStatus status;
  // Look again after this long: the progress deadline may pass without any other event.
  std::optional<std::chrono::seconds> recheck_after;
};

// The Deployment's status from its ReplicaSets (new_set may be null), with the Available and
// Progressing conditions as Kubernetes sets them: NewReplicaSetCreated when this sync created
// the new set, ReplicaSetUpdated whenever the rollout made progress (lastUpdateTime moves),
// NewReplicaSetAvailable once complete, ProgressDeadlineExceeded (status False) once
// progressDeadlineSeconds passed since the last progress, DeploymentPaused while paused.
StatusPlan deployment_status(const config::Deployment& d, const config::ReplicaSet* new_set,
                             const std::vector<const config::ReplicaSet*>& all,
                             bool new_set_created, std::chrono::system_clock::time_point now);

// Old ReplicaSets to delete for revisionHistoryLimit: of `old_sets` (any order), the oldest
// revisions beyond the limit, skipping any that still has pods or wants some.
std::vector<std::string> replica_sets_to_prune(
    const std::vector<const config::ReplicaSet*>& old_sets, int revision_history_limit);

}  // namespace skiff::controller
