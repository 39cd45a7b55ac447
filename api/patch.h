// The patch types of a PATCH request, chosen by its Content-Type as the Kubernetes API server
// does (k8s.io/apiserver/pkg/endpoints/handlers/patch.go), applied to an object's JSON. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/status.h"

namespace skiff::api {

enum class PatchType {
  kJson,       // application/json-patch+json (RFC 6902)
  kMerge,      // application/merge-patch+json (RFC 7386)
  kStrategic,  // application/strategic-merge-patch+json
};

// The patch type a Content-Type names (parameters such as "; charset=utf-8" ignored). Server-side
// apply (application/apply-patch+yaml) and every other type are 415 UnsupportedMediaType.
config::Result<PatchType> patch_type(std::string_view content_type);

// The object's JSON with the patch body applied. A body that is not JSON is 400; errors of
// each type as json_patch.h and strategic_merge.h describe them.
config::Result<nlohmann::json> apply_patch(PatchType type, const nlohmann::json& original,
                                           const std::string& body);

}  // namespace skiff::api
