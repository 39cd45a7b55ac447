// What kubectl's `rollout` verbs decide about a Deployment, pure: the status line of
// `rollout status` (kubectl's DeploymentStatusViewer), the revisions of `rollout history`, and
// the ReplicaSet and Deployment change of `rollout undo` (kubectl's DeploymentRollbacker).
#pragma once

#include <string>
#include <vector>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::controller {

struct RolloutStatus {
  std::string message;  // one line, no newline
  bool done = false;    // "successfully rolled out"
  bool failed = false;  // past its progress deadline: message is the error
};

// As `kubectl rollout status` words it:
//   Waiting for deployment spec update to be observed...
//   Waiting for deployment "web" rollout to finish: 1 out of 4 new replicas have been updated...
//   Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...
//   Waiting for deployment "web" rollout to finish: 3 of 4 updated replicas are available...
//   deployment "web" successfully rolled out
//   (failed) deployment "web" exceeded its progress deadline
RolloutStatus rollout_status(const config::Deployment& d);

// The ReplicaSets `d` controls (ownerReference uid), oldest revision first.
std::vector<const config::ReplicaSet*> owned_replica_sets(
    const config::Deployment& d, const std::vector<config::ReplicaSet>& sets);

struct RevisionEntry {
  int revision = 0;
  std::string change_cause;  // "" when the ReplicaSet has none
  const config::ReplicaSet* replica_set = nullptr;
};
// The revisions of `rollout history`, ascending (ReplicaSets without a revision are left out).
std::vector<RevisionEntry> revision_history(const config::Deployment& d,
                                            const std::vector<config::ReplicaSet>& sets);

// The ReplicaSet `rollout undo --to-revision N` restores; N = 0: the revision before the
// latest. Errors as kubectl's: "unable to find specified revision 5 in history",
// "no rollout history found for deployment \"web\"".
config::Result<const config::ReplicaSet*> rollback_source(
    const config::Deployment& d, const std::vector<config::ReplicaSet>& sets, int to_revision);

// The Deployment with `rs`'s template (without pod-template-hash) and annotations (the
// change-cause among them; the Deployment's own revision kept). `unchanged` tells that the
// template already is that one ("skipped rollback").
config::Deployment rolled_back(const config::Deployment& d, const config::ReplicaSet& rs,
                               bool* unchanged);

}  // namespace skiff::controller
