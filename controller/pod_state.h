// Facts about a Pod that several reconcilers judge the same way as Kubernetes does.
#pragma once

#include <chrono>
#include <optional>

#include "config/objects.h"

namespace skiff::controller {

// The Ready condition is "True".
bool pod_ready(const config::Pod& pod);
// Ready for at least min_ready_seconds at `now` (the Ready condition's lastTransitionTime);
// with 0, the same as pod_ready.
bool pod_available(const config::Pod& pod, int min_ready_seconds,
                   std::chrono::system_clock::time_point now);
// When pod_ready but not yet pod_available: how long until it becomes available.
std::optional<std::chrono::seconds> time_until_available(const config::Pod& pod,
                                                         int min_ready_seconds,
                                                         std::chrono::system_clock::time_point now);
bool pod_terminating(const config::Pod& pod);
// Counts toward a ReplicaSet: not terminating and not finished (Succeeded/Failed).
bool pod_active(const config::Pod& pod);

// The ownerReference with controller: true, or nullptr.
const config::OwnerReference* controller_ref(const config::ObjectMeta& meta);
config::OwnerReference controller_ref_to(const char* api_version, const char* kind,
                                         const config::ObjectMeta& owner);

}  // namespace skiff::controller
