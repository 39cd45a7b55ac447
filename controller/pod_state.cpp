#include "controller/pod_state.h"

#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

const config::Condition* ready_condition(const config::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return &c;
  }
  return nullptr;
}

}  // namespace

bool pod_ready(const config::Pod& pod) {
  const auto* c = ready_condition(pod);
  return c && c->status == "True";
}

std::optional<std::chrono::seconds> time_until_available(
    const config::Pod& pod, int min_ready_seconds, std::chrono::system_clock::time_point now) {
  if (!pod_ready(pod) || min_ready_seconds <= 0) return std::nullopt;
  auto since = parse_rfc3339(ready_condition(pod)->last_transition_time);
  if (!since) return std::nullopt;  // no time recorded: treat as available
  auto at = *since + std::chrono::seconds(min_ready_seconds);
  if (at <= now) return std::nullopt;
  return std::chrono::ceil<std::chrono::seconds>(at - now);
}

bool pod_available(const config::Pod& pod, int min_ready_seconds,
                   std::chrono::system_clock::time_point now) {
  return pod_ready(pod) && !time_until_available(pod, min_ready_seconds, now);
}

bool pod_terminating(const config::Pod& pod) { return pod.metadata.deletion_timestamp.has_value(); }

bool pod_active(const config::Pod& pod) {
  return !pod_terminating(pod) && pod.status.phase != "Succeeded" && pod.status.phase != "Failed";
}

const config::OwnerReference* controller_ref(const config::ObjectMeta& meta) {
  for (const auto& r : meta.owner_references) {
    if (r.controller) return &r;
  }
  return nullptr;
}

config::OwnerReference controller_ref_to(const char* api_version, const char* kind,
                                         const config::ObjectMeta& owner) {
  return config::OwnerReference{api_version, kind, owner.name, owner.uid, true, true};
}

}  // namespace skiff::controller
