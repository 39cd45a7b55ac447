#include "api/discovery.h"

#include <string>

#include "config/kinds.h"

namespace skiff::api {

nlohmann::json version_json() {
  return {{"major", "1"},
          {"minor", "0"},
          {"gitVersion", "v0.1.0-skiff"},
          {"compiler", "gcc"},
          {"platform", "linux/amd64"}};
}

nlohmann::json api_versions_json() { return {{"kind", "APIVersions"}, {"versions", {"v1"}}}; }

nlohmann::json api_groups_json() {
  nlohmann::json version = {{"groupVersion", "apps/v1"}, {"version", "v1"}};
  return {{"kind", "APIGroupList"},
          {"apiVersion", "v1"},
          {"groups", {{{"name", "apps"}, {"versions", {version}}, {"preferredVersion", version}}}}};
}

nlohmann::json resource_list_json(std::string_view group_version) {
  nlohmann::json resources = nlohmann::json::array();
  for (config::Kind kind : config::kAllKinds) {
    const auto& info = config::kind_info(kind);
    if (info.api_version != group_version) continue;
    const std::string name(info.resource);
    resources.push_back({{"name", name},
                         {"singularName", info.singular},
                         {"namespaced", info.namespaced},
                         {"kind", info.name},
                         {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}},
                         {"shortNames", {info.short_name}}});
    if (kind != config::Kind::kEndpoints && kind != config::Kind::kEvent) {
      resources.push_back({{"name", name + "/status"},
                           {"singularName", ""},
                           {"namespaced", info.namespaced},
                           {"kind", info.name},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (kind == config::Kind::kDeployment || kind == config::Kind::kReplicaSet) {
      resources.push_back({{"name", name + "/scale"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"group", "autoscaling"},
                           {"version", "v1"},
                           {"kind", "Scale"},
                           {"verbs", {"get", "patch", "update"}}});
    }
    if (kind == config::Kind::kPod) {
      resources.push_back({{"name", "pods/log"},
                           {"singularName", ""},
                           {"namespaced", true},
                           {"kind", "Pod"},
                           {"verbs", {"get"}}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group_version},
          {"resources", resources}};
}

}  // namespace skiff::api
