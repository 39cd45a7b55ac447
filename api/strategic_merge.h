// Strategic merge patch (application/strategic-merge-patch+json), what kubectl sends for
// built-in kinds (apply, set image, label, rollout restart, edit). Pure.
//
// Follows k8s.io/apimachinery/pkg/util/strategicpatch/patch.go (mergeMap, mergeSlice,
// normalizeElementOrder) and the directive rules of
// kubernetes/community contributors/devel/sig-api-machinery/strategic-merge-patch.md:
// - maps merge key by key; a null value deletes the key;
// - a list whose Go field declares patchStrategy "merge" merges by its patchMergeKey (see
//   list_merge_key); a merge list of primitives (metadata.finalizers) is a set union; every
//   other list (Endpoints subsets, args, command, tolerations, ...) is replaced whole;
// - `$patch: replace` (map or list item) replaces, `$patch: delete` removes the map or the list
//   item with that merge key, `$patch: merge` is the default;
// - `$retainKeys: [..]` drops the original's keys that are not listed;
// - `$deleteFromPrimitiveList/<field>: [..]` removes those values from a primitive list;
// - `$setElementOrder/<field>: [..]` orders the merged list: listed items in the given order,
//   items only the server had keep their place relative to them (mergeSortedSlice).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/status.h"

namespace skiff::api {

// The merge key of the list at `path` (field names from the object's root, list indices left
// out): "name" for containers, "containerPort" for a container's ports, ... "" with
// `merge` false: the list is atomic and a patch replaces it.
struct ListStrategy {
  bool merge = false;
  std::string key;  // empty with merge: a list of primitives merged as a set
};
ListStrategy list_strategy(const std::vector<std::string>& path);

// The original with the patch applied. Malformed directives and list items lacking their merge
// key are BadRequest, with apimachinery's wording where it has one.
config::Result<nlohmann::json> strategic_merge(const nlohmann::json& original,
                                               const nlohmann::json& patch);

}  // namespace skiff::api
