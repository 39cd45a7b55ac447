#include "api/routes.h"

#include <vector>

#include "api/openapi.h"
#include "config/kinds.h"

namespace skiff::api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits "/a/b/c" into decoded segments. nullopt for a path that does not start with '/',
// has an empty segment ("//", a trailing '/'), or a segment that decodes to something no
// object name could be (".", "..", a '/' or a control character).
std::optional<std::vector<std::string>> split_segments(std::string_view path) {
  std::vector<std::string> segments;
  if (path.empty() || path.front() != '/') return std::nullopt;
  if (path == "/") return segments;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string segment = percent_decode(path.substr(pos, end - pos), false);
    if (segment.empty() || segment == "." || segment == "..") return std::nullopt;
    for (char c : segment) {
      if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
    }
    segments.push_back(std::move(segment));
    pos = end + 1;
  }
  return segments;
}

std::optional<config::Kind> kind_in_group(std::string_view group_version,
                                          std::string_view resource) {
  for (config::Kind kind : config::kAllKinds) {
    const auto& info = config::kind_info(kind);
    if (info.resource == resource && info.api_version == group_version) return kind;
  }
  return std::nullopt;
}

// rest: what follows the group version, e.g. {"namespaces","default","pods","web","log"}.
std::optional<Route> parse_resource_path(const std::string& group_version,
                                         const std::vector<std::string>& rest) {
  Route route;
  route.group_version = group_version;
  size_t i = 0;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    route.ns = rest[1];
    i = 2;
  }
  if (i >= rest.size()) return std::nullopt;
  auto kind = kind_in_group(group_version, rest[i]);
  if (!kind) return std::nullopt;
  route.kind = *kind;
  const bool namespaced = config::kind_info(*kind).namespaced;
  // A cluster-scoped kind (Node) has no namespaced path, as in Kubernetes.
  if (!namespaced && i != 0) return std::nullopt;
  const size_t remaining = rest.size() - i - 1;  // segments after the resource
  if (remaining == 0) {
    route.endpoint = Endpoint::kCollection;
    return route;
  }
  // Single objects of a namespaced kind live only under their namespace.
  if (namespaced && route.ns.empty()) return std::nullopt;
  route.name = rest[i + 1];
  if (remaining == 1) {
    route.endpoint = Endpoint::kItem;
    return route;
  }
  if (remaining != 2) return std::nullopt;
  const std::string& sub = rest[i + 2];
  if (sub == "status" && *kind != config::Kind::kEndpoints && *kind != config::Kind::kEvent) {
    route.endpoint = Endpoint::kStatus;
  } else if (sub == "scale" &&
             (*kind == config::Kind::kDeployment || *kind == config::Kind::kReplicaSet)) {
    route.endpoint = Endpoint::kScale;
  } else if (sub == "log" && *kind == config::Kind::kPod) {
    route.endpoint = Endpoint::kLog;
  } else {
    return std::nullopt;
  }
  return route;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

Target split_target(std::string_view target) {
  Target result;
  size_t q = target.find('?');
  result.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return result;
  std::string_view query = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(pos, end - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
      result.query[std::move(key)] = std::move(value);
    }
    pos = end + 1;
  }
  return result;
}

std::optional<Route> parse_route(std::string_view path) {
  auto parsed = split_segments(path);
  if (!parsed) return std::nullopt;
  const auto& s = *parsed;
  Route route;
  if (s.size() == 1 && s[0] == "metrics") {
    route.endpoint = Endpoint::kMetrics;
    return route;
  }
  if (s.size() == 1 && (s[0] == "healthz" || s[0] == "livez")) {
    route.endpoint = Endpoint::kHealthz;
    return route;
  }
  if (!s.empty() && s[0] == "readyz" && s.size() <= 2) {
    route.endpoint = Endpoint::kReadyz;
    if (s.size() == 2) route.check = s[1];
    return route;
  }
  if (s.size() == 1 && s[0] == "version") {
    route.endpoint = Endpoint::kVersion;
    return route;
  }
  if (s.size() == 1 && s[0] == "api") {
    route.endpoint = Endpoint::kApiVersions;
    return route;
  }
  if (s.size() == 1 && s[0] == "apis") {
    route.endpoint = Endpoint::kApiGroups;
    return route;
  }
  if (s.size() >= 2 && s[0] == "openapi" && s[1] == "v3") {
    if (s.size() == 2) {
      route.endpoint = Endpoint::kOpenApiIndex;
      return route;
    }
    std::string rest = s[2];
    for (size_t i = 3; i < s.size(); ++i) rest += "/" + s[i];
    auto group_version = openapi_group_version(rest);
    if (!group_version) return std::nullopt;
    route.endpoint = Endpoint::kOpenApiDoc;
    route.group_version = *group_version;
    return route;
  }
  std::string group_version;
  std::vector<std::string> rest;
  if (s.size() >= 2 && s[0] == "api" && s[1] == "v1") {
    group_version = "v1";
    rest.assign(s.begin() + 2, s.end());
  } else if (s.size() >= 3 && s[0] == "apis" && s[1] == "apps" && s[2] == "v1") {
    group_version = "apps/v1";
    rest.assign(s.begin() + 3, s.end());
  } else {
    return std::nullopt;
  }
  if (rest.empty()) {
    route.endpoint = Endpoint::kResourceList;
    route.group_version = group_version;
    return route;
  }
  return parse_resource_path(group_version, rest);
}

}  // namespace skiff::api
