// Path routing for the Kubernetes-shaped REST API: a request target becomes a Route, or
// nothing (404). Pure: no store, no sockets, so every path shape is unit-tested directly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/objects.h"

namespace skiff::api {

enum class Endpoint {
  kHealthz,       // /healthz, /livez
  kMetrics,       // /metrics (Prometheus text exposition)
  kReadyz,        // /readyz, /readyz/{check}
  kVersion,       // /version
  kApiVersions,   // /api
  kApiGroups,     // /apis
  kResourceList,  // /api/v1, /apis/apps/v1
  kCollection,    // .../{resource}            (namespace empty: all namespaces)
  kItem,          // .../{resource}/{name}
  kStatus,        // .../{resource}/{name}/status
  kScale,         // .../{deployments|replicasets}/{name}/scale
  kLog,           // /api/v1/namespaces/{ns}/pods/{name}/log
  kOpenApiIndex,  // /openapi/v3
  kOpenApiDoc,    // /openapi/v3/api/v1, /openapi/v3/apis/apps/v1
};

struct Route {
  Endpoint endpoint = Endpoint::kHealthz;
  config::Kind kind = config::Kind::kPod;  // meaningful for kCollection .. kLog
  std::string ns;                          // empty: every namespace (collections only)
  std::string name;
  std::string group_version;  // kResourceList, kOpenApiDoc: "v1" or "apps/v1"
  std::string check;          // kReadyz: one named check, empty for all
  bool operator==(const Route&) const = default;
};

// The path without its query. nullopt: no such endpoint (the server answers 404). A resource
// under the wrong group (/apis/apps/v1/.../pods), a subresource the kind lacks (pods/scale),
// empty segments and names that are not DNS-1123-ish are all "no such endpoint".
std::optional<Route> parse_route(std::string_view path);

// A request target split into its path and decoded query parameters ("+" and %XX decoded;
// a repeated key keeps its last value, a key without "=" maps to "").
struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};
Target split_target(std::string_view target);

// Percent-decoding as for query strings; malformed escapes are kept literally.
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace skiff::api
