// The pod-template-hash that names a Deployment's ReplicaSets ("web-7d4b9c8f5"): FNV-1a 32 of
// the template's canonical JSON (config::to_json, keys sorted), rendered with Kubernetes'
// SafeEncodeString. Equal templates give equal hashes across restarts and machines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/objects.h"

namespace skiff::controller {

inline constexpr const char* kPodTemplateHashLabel = "pod-template-hash";

uint32_t fnv1a32(std::string_view data);
// The hash of `tmpl` as given; callers pass the Deployment's template (without the label).
std::string pod_template_hash(const config::PodTemplateSpec& tmpl);

}  // namespace skiff::controller
