// The autoscaling/v1 Scale subresource of Deployments and ReplicaSets. Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::api {

// {"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{...},"spec":{"replicas"},
//  "status":{"replicas","selector"}}. The object must be a Deployment or a ReplicaSet.
nlohmann::json scale_to_json(const config::Object& object);

struct ScaleChange {
  int replicas = 0;
  uint64_t resource_version = 0;  // 0: unconditional
};
// spec.replicas (a non-negative integer) and metadata.resourceVersion of a Scale body.
// A missing or negative replicas is Invalid; wrong JSON types are BadRequest.
config::Result<ScaleChange> scale_from_json(const nlohmann::json& body);

// The object with spec.replicas replaced and the resourceVersion precondition set.
config::Object apply_scale(const config::Object& current, const ScaleChange& change);

}  // namespace skiff::api
