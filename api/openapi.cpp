#include "api/openapi.h"

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <utility>

#include "config/kinds.h"

namespace skiff::api {
namespace {

using nlohmann::json;

struct Gvk {
  std::string group;
  std::string version;
  std::string kind;
};

Gvk gvk_of(std::string_view group_version, std::string_view kind) {
  const auto slash = group_version.find('/');
  if (slash == std::string_view::npos) return {"", std::string(group_version), std::string(kind)};
  return {std::string(group_version.substr(0, slash)), std::string(group_version.substr(slash + 1)),
          std::string(kind)};
}

// "CoreV1", "AppsV1", "AutoscalingV1": the operationId infix Kubernetes uses.
std::string id_infix(const Gvk& gvk) {
  auto title = [](std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
  };
  return title(gvk.group.empty() ? "core" : gvk.group) + title(gvk.version);
}

json query_param(const std::string& name, const std::string& type, const std::string& doc) {
  return {{"name", name},
          {"in", "query"},
          {"description", doc},
          {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

json path_param(const std::string& name, const std::string& doc) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", doc},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

json field_validation_param() {
  return query_param(
      "fieldValidation", "string",
      "How the server treats fields of the object it does not know: Ignore drops them, Warn "
      "(the default) drops them and sends one Warning header each, Strict refuses the request "
      "with 400 BadRequest.");
}

json ok_response() {
  return {{"200",
           {{"description", "OK"},
            {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
          {"401", {{"description", "Unauthorized"}}}};
}

// One operation: action is the x-kubernetes-action (get, list, watch, post, put, patch, delete).
json operation(const std::string& id, const std::string& action, const Gvk& gvk,
               std::initializer_list<json> params, bool body) {
  json op = {{"operationId", id},
             {"tags", {id_infix(gvk)}},
             {"responses", ok_response()},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind",
              {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}}}};
  op["parameters"] = json::array();
  for (const auto& p : params) op["parameters"].push_back(p);
  if (body) {
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
  }
  return op;
}

json patch_operation(const std::string& id, const Gvk& gvk) {
  json op = operation(id, "patch", gvk, {field_validation_param()}, false);
  json content;
  for (const char* type : {"application/json-patch+json", "application/merge-patch+json",
                           "application/strategic-merge-patch+json"}) {
    content[type] = {{"schema", {{"type", "object"}}}};
  }
  op["requestBody"] = {{"required", true}, {"content", content}};
  return op;
}

// The paths of one kind under `prefix` ("/api/v1" or "/apis/apps/v1").
void add_kind_paths(json& paths, const config::KindInfo& info) {
  const Gvk gvk = gvk_of(info.api_version, info.name);
  const std::string prefix =
      (gvk.group.empty() ? "/api/" : "/apis/" + gvk.group + "/") + gvk.version;
  const std::string resource(info.resource);
  const std::string scope = info.namespaced ? "Namespaced" : "";
  const std::string base =
      info.namespaced ? prefix + "/namespaces/{namespace}/" + resource : prefix + "/" + resource;
  const std::string infix = id_infix(gvk);
  const std::string kind = gvk.kind;
  json scope_params = json::array();
  if (info.namespaced) scope_params.push_back(path_param("namespace", "The object's namespace."));
  json item_params = scope_params;
  item_params.push_back(path_param("name", "The object's name."));

  const json label_selector =
      query_param("labelSelector", "string", "Only objects whose labels match.");
  const json field_selector =
      query_param("fieldSelector", "string", "Only objects whose fields match.");
  const json watch = query_param("watch", "boolean", "Stream ADDED, MODIFIED and DELETED events.");
  const json resource_version =
      query_param("resourceVersion", "string", "With watch: only changes after this version.");

  json collection = {{"parameters", scope_params}};
  collection["get"] = operation("list" + infix + scope + kind, "list", gvk,
                                {label_selector, field_selector, watch, resource_version}, false);
  collection["post"] =
      operation("create" + infix + scope + kind, "post", gvk, {field_validation_param()}, true);
  paths[base] = collection;

  json item = {{"parameters", item_params}};
  item["get"] = operation("read" + infix + scope + kind, "get", gvk, {}, false);
  item["put"] =
      operation("replace" + infix + scope + kind, "put", gvk, {field_validation_param()}, true);
  item["patch"] = patch_operation("patch" + infix + scope + kind, gvk);
  item["delete"] = operation(
      "delete" + infix + scope + kind, "delete", gvk,
      {query_param("gracePeriodSeconds", "integer", "Seconds before the object is deleted.")},
      false);
  paths[base + "/{name}"] = item;

  if (info.namespaced) {
    json all = json::object();
    all["get"] = operation("list" + infix + kind + "ForAllNamespaces", "list", gvk,
                           {label_selector, field_selector, watch, resource_version}, false);
    paths[prefix + "/" + resource] = all;
  }
  const config::Kind k = info.kind;
  if (k != config::Kind::kEndpoints && k != config::Kind::kEvent) {
    json status = {{"parameters", item_params}};
    status["get"] = operation("read" + infix + scope + kind + "Status", "get", gvk, {}, false);
    status["put"] = operation("replace" + infix + scope + kind + "Status", "put", gvk,
                              {field_validation_param()}, true);
    status["patch"] = patch_operation("patch" + infix + scope + kind + "Status", gvk);
    paths[base + "/{name}/status"] = status;
  }
  if (k == config::Kind::kDeployment || k == config::Kind::kReplicaSet) {
    const Gvk scale_gvk{"autoscaling", "v1", "Scale"};
    json scale = {{"parameters", item_params}};
    scale["get"] = operation("read" + infix + scope + kind + "Scale", "get", scale_gvk, {}, false);
    scale["put"] = operation("replace" + infix + scope + kind + "Scale", "put", scale_gvk,
                             {field_validation_param()}, true);
    scale["patch"] = patch_operation("patch" + infix + scope + kind + "Scale", scale_gvk);
    paths[base + "/{name}/scale"] = scale;
  }
  if (k == config::Kind::kPod) {
    json log = {{"parameters", item_params}};
    log["get"] = operation(
        "read" + infix + scope + kind + "Log", "get", gvk,
        {query_param("container", "string", "The container to read; may be omitted with one."),
         query_param("follow", "boolean", "Stream the log as it is written."),
         query_param("limitBytes", "integer", "At most this many bytes."),
         query_param("previous", "boolean", "The previous instance of the container."),
         query_param("sinceSeconds", "integer", "Only lines newer than this many seconds."),
         query_param("sinceTime", "string", "Only lines after this RFC 3339 time."),
         query_param("tailLines", "integer", "Only the last this many lines."),
         query_param("timestamps", "boolean", "Prefix each line with its RFC 3339 time.")},
        false);
    paths[base + "/{name}/log"] = log;
  }
}

// FNV-1a 64 of the text, as 16 upper-case hex digits: the index's cache-busting hash.
std::string hash_hex(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

bool served_group_version(std::string_view group_version) {
  for (config::Kind kind : config::kAllKinds) {
    if (config::kind_info(kind).api_version == group_version) return true;
  }
  return false;
}

}  // namespace

std::string openapi_path_for(std::string_view group_version) {
  if (group_version.find('/') == std::string_view::npos) {
    return "api/" + std::string(group_version);
  }
  return "apis/" + std::string(group_version);
}

std::optional<std::string> openapi_group_version(std::string_view path) {
  for (config::Kind kind : config::kAllKinds) {
    const auto gv = config::kind_info(kind).api_version;
    if (openapi_path_for(gv) == path) return std::string(gv);
  }
  return std::nullopt;
}

std::optional<json> openapi_document(std::string_view group_version) {
  if (!served_group_version(group_version)) return std::nullopt;
  json paths = json::object();
  for (config::Kind kind : config::kAllKinds) {
    const auto& info = config::kind_info(kind);
    if (info.api_version == group_version) add_kind_paths(paths, info);
  }
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "skiff"}, {"version", "v0.1.0-skiff"}}},
              {"paths", paths},
              // kubectl's apply looks for a schema carrying the kind's GVK here and, finding
              // none, computes strategic merge patches from its built-in types.
              {"components", {{"schemas", json::object()}}}};
}

json openapi_index() {
  json paths = json::object();
  for (config::Kind kind : config::kAllKinds) {
    const auto gv = config::kind_info(kind).api_version;
    const std::string key = openapi_path_for(gv);
    if (paths.contains(key)) continue;
    const std::string hash = hash_hex(openapi_document(gv)->dump());
    paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash}};
  }
  return {{"paths", paths}};
}

}  // namespace skiff::api
