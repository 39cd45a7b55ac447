// Names of the kinds skiff serves: kind, apiVersion, REST resource, kubectl short names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/objects.h"

namespace skiff::config {

struct KindInfo {
  Kind kind;
  std::string_view name;         // "Deployment"
  std::string_view api_version;  // "apps/v1"
  std::string_view resource;     // "deployments" (the REST path segment)
  std::string_view short_name;   // "deploy"
  std::string_view singular;     // "deployment"
  bool namespaced = true;        // false: cluster-scoped (Node); metadata.namespace is ""
};

const KindInfo& kind_info(Kind kind);
// By kind name ("Deployment"), resource ("deployments"), singular or short name, as kubectl
// accepts them; case-insensitive.
std::optional<Kind> kind_from_name(std::string_view name);
// The REST collection path: "/apis/apps/v1/namespaces/NS/deployments" (ns may be empty: all;
// it is ignored for a cluster-scoped kind).
std::string collection_path(Kind kind, std::string_view ns);

}  // namespace skiff::config
