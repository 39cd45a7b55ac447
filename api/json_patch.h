// RFC 7386 JSON Merge Patch and RFC 6902 JSON Patch over nlohmann::json, with the errors the
// Kubernetes API server gives for them (k8s.io/apiserver/pkg/endpoints/handlers/patch.go):
// a patch document that cannot be decoded is 400 BadRequest, a patch that cannot be applied
// to the object (missing path, failed "test") is 422 (the API server sends it
// without a reason; skiff says Invalid). Pure.
#pragma once

#include <nlohmann/json.hpp>

#include "config/status.h"

namespace skiff::api {

// RFC 7386: null deletes a member, objects merge recursively, anything else replaces.
nlohmann::json merge_patch(nlohmann::json original, const nlohmann::json& patch);

// RFC 6902: the operations in order, all or nothing. The patch must be an array of
// operation objects ({"op","path"[,"value"|"from"]}); JSON Pointers use ~0 for '~' and ~1 for
// '/', and "-" as the last array token appends.
config::Result<nlohmann::json> json_patch(const nlohmann::json& original,
                                          const nlohmann::json& patch);

}  // namespace skiff::api
