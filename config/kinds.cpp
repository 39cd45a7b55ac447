#include "config/kinds.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace skiff::config {
namespace {

constexpr std::array<KindInfo, 9> kKinds{{
    {Kind::kPod, "Pod", "v1", "pods", "po", "pod"},
    {Kind::kService, "Service", "v1", "services", "svc", "service"},
    {Kind::kEndpoints, "Endpoints", "v1", "endpoints", "ep", "endpoints"},
    {Kind::kDeployment, "Deployment", "apps/v1", "deployments", "deploy", "deployment"},
    {Kind::kReplicaSet, "ReplicaSet", "apps/v1", "replicasets", "rs", "replicaset"},
    {Kind::kEvent, "Event", "v1", "events", "ev", "event"},
    {Kind::kConfigMap, "ConfigMap", "v1", "configmaps", "cm", "configmap"},
    {Kind::kSecret, "Secret", "v1", "secrets", "secret", "secret"},
    {Kind::kNode, "Node", "v1", "nodes", "no", "node", false},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

static_assert(kKinds.size() == std::size(kAllKinds));

const KindInfo& kind_info(Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

std::optional<Kind> kind_from_name(std::string_view name) {
  for (const auto& k : kKinds) {
    if (iequals(name, k.name) || iequals(name, k.resource) || iequals(name, k.short_name) ||
        iequals(name, k.singular)) {
      return k.kind;
    }
  }
  return std::nullopt;
}

std::string collection_path(Kind kind, std::string_view ns) {
  const auto& k = kind_info(kind);
  std::string path = k.api_version == "v1" ? "/api/v1" : "/apis/" + std::string(k.api_version);
  if (!ns.empty() && k.namespaced) {
    path += "/namespaces/";
    path += ns;
  }
  path += '/';
  path += k.resource;
  return path;
}

}  // namespace skiff::config
