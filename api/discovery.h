// Minimal discovery documents (/version, /api, /apis, /api/v1, /apis/apps/v1) in the shapes
// kubectl-style clients read. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace skiff::api {

nlohmann::json version_json();
nlohmann::json api_versions_json();  // APIVersions: ["v1"]
nlohmann::json api_groups_json();    // APIGroupList: apps/v1
// APIResourceList for "v1" or "apps/v1": each resource and its subresources with their verbs.
nlohmann::json resource_list_json(std::string_view group_version);

}  // namespace skiff::api
