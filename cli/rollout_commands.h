// `skiff rollout status|history|undo|restart|pause|resume deployment/NAME`, as kubectl's: they
// read and change Deployments and their ReplicaSets through the daemon's API.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "cli/client_commands.h"

namespace skiff::cli {

// Waits (through a watch) until the rollout finished: 0 once "successfully rolled out", 1 past
// the Deployment's progress deadline or past `timeout` (0: no limit), as kubectl exits.
// watch = false prints the current state once and exits 0 only if it is done.
int cmd_rollout_status(const ClientOptions& c, const std::vector<std::string>& target,
                       std::chrono::milliseconds timeout, bool watch);
// REVISION and CHANGE-CAUSE; with revision > 0 that revision's pod template.
int cmd_rollout_history(const ClientOptions& c, const std::vector<std::string>& target,
                        int revision);
// Puts the template of revision `to_revision` (0: the previous one) back into the Deployment.
int cmd_rollout_undo(const ClientOptions& c, const std::vector<std::string>& target,
                     int to_revision);
// A new rollout of the same template (kubectl.kubernetes.io/restartedAt on the pod template).
int cmd_rollout_restart(const ClientOptions& c, const std::vector<std::string>& target);
// spec.paused: a paused Deployment does not roll out template changes.
int cmd_rollout_pause(const ClientOptions& c, const std::vector<std::string>& target, bool pause);

}  // namespace skiff::cli
