// The raw document's checks: kind and apiVersion, and unknown fields against each kind's schema.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/kinds.h"
#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config {

using validation_internal::at;
using validation_internal::Errors;
using validation_internal::item;
using validation_internal::quote;

namespace {

using nlohmann::json;

// ---- The schema for unknown-field warnings -------------------------------------------------

struct Shape {
  enum class Type { kAny, kObject, kList };
  Type type = Type::kAny;
  std::vector<std::pair<std::string_view, const Shape*>> fields;
  const Shape* items = nullptr;
};

using Fields = std::initializer_list<std::pair<std::string_view, const Shape*>>;
Shape object(Fields f) { return Shape{Shape::Type::kObject, f, nullptr}; }
Shape list_of(const Shape* s) { return Shape{Shape::Type::kList, {}, s}; }

const Shape* shape_of(Kind kind) {
  static const Shape any;
  static const Shape owner_ref = object({{"apiVersion", &any},
                                         {"kind", &any},
                                         {"name", &any},
                                         {"uid", &any},
                                         {"controller", &any},
                                         {"blockOwnerDeletion", &any}});
  static const Shape owner_refs = list_of(&owner_ref);
  static const Shape meta = object({{"name", &any},
                                    {"generateName", &any},
                                    {"namespace", &any},
                                    {"uid", &any},
                                    {"resourceVersion", &any},
                                    {"generation", &any},
                                    {"creationTimestamp", &any},
                                    {"deletionTimestamp", &any},
                                    {"deletionGracePeriodSeconds", &any},
                                    {"labels", &any},
                                    {"annotations", &any},
                                    {"ownerReferences", &owner_refs}});
  static const Shape requirement = object({{"key", &any}, {"operator", &any}, {"values", &any}});
  static const Shape requirements = list_of(&requirement);
  static const Shape selector =
      object({{"matchLabels", &any}, {"matchExpressions", &requirements}});
  static const Shape container_port =
      object({{"name", &any}, {"containerPort", &any}, {"protocol", &any}, {"hostPort", &any}});
  static const Shape container_ports = list_of(&container_port);
  static const Shape key_ref = object({{"name", &any}, {"key", &any}, {"optional", &any}});
  static const Shape field_ref = object({{"fieldPath", &any}, {"apiVersion", &any}});
  static const Shape resource_field_ref =
      object({{"containerName", &any}, {"resource", &any}, {"divisor", &any}});
  static const Shape value_from = object({{"configMapKeyRef", &key_ref},
                                          {"secretKeyRef", &key_ref},
                                          {"fieldRef", &field_ref},
                                          {"resourceFieldRef", &resource_field_ref}});
  static const Shape env_var =
      object({{"name", &any}, {"value", &any}, {"valueFrom", &value_from}});
  static const Shape env = list_of(&env_var);
  static const Shape source_ref = object({{"name", &any}, {"optional", &any}});
  static const Shape env_from_source =
      object({{"prefix", &any}, {"configMapRef", &source_ref}, {"secretRef", &source_ref}});
  static const Shape env_from = list_of(&env_from_source);
  static const Shape exec = object({{"command", &any}});
  static const Shape header = object({{"name", &any}, {"value", &any}});
  static const Shape headers = list_of(&header);
  static const Shape http_get = object({{"path", &any},
                                        {"port", &any},
                                        {"host", &any},
                                        {"scheme", &any},
                                        {"httpHeaders", &headers}});
  static const Shape tcp_socket = object({{"port", &any}, {"host", &any}});
  static const Shape probe = object({{"exec", &exec},
                                     {"httpGet", &http_get},
                                     {"tcpSocket", &tcp_socket},
                                     {"initialDelaySeconds", &any},
                                     {"timeoutSeconds", &any},
                                     {"periodSeconds", &any},
                                     {"successThreshold", &any},
                                     {"failureThreshold", &any}});
  static const Shape volume_mount =
      object({{"name", &any}, {"mountPath", &any}, {"readOnly", &any}, {"subPath", &any}});
  static const Shape volume_mounts = list_of(&volume_mount);
  static const Shape key_to_path = object({{"key", &any}, {"path", &any}, {"mode", &any}});
  static const Shape key_to_paths = list_of(&key_to_path);
  static const Shape empty_dir = object({{"medium", &any}, {"sizeLimit", &any}});
  static const Shape host_path = object({{"path", &any}, {"type", &any}});
  static const Shape config_map_volume =
      object({{"name", &any}, {"items", &key_to_paths}, {"defaultMode", &any}, {"optional", &any}});
  static const Shape secret_volume = object(
      {{"secretName", &any}, {"items", &key_to_paths}, {"defaultMode", &any}, {"optional", &any}});
  static const Shape volume = object({{"name", &any},
                                      {"emptyDir", &empty_dir},
                                      {"hostPath", &host_path},
                                      {"configMap", &config_map_volume},
                                      {"secret", &secret_volume}});
  static const Shape volumes = list_of(&volume);
  static const Shape resources = object({{"requests", &any}, {"limits", &any}});
  static const Shape container = object({{"name", &any},
                                         {"image", &any},
                                         {"imagePullPolicy", &any},
                                         {"command", &any},
                                         {"args", &any},
                                         {"workingDir", &any},
                                         {"ports", &container_ports},
                                         {"env", &env},
                                         {"envFrom", &env_from},
                                         {"volumeMounts", &volume_mounts},
                                         {"resources", &resources},
                                         {"readinessProbe", &probe},
                                         {"livenessProbe", &probe},
                                         {"startupProbe", &probe}});
  static const Shape containers = list_of(&container);
  static const Shape pod_spec = object({{"containers", &containers},
                                        {"volumes", &volumes},
                                        {"restartPolicy", &any},
                                        {"terminationGracePeriodSeconds", &any},
                                        {"nodeName", &any},
                                        {"hostname", &any},
                                        {"subdomain", &any}});
  static const Shape pod_template = object({{"metadata", &meta}, {"spec", &pod_spec}});
  // Status is written by skiff, never by users; its fields are not checked.
  static const Shape pod = object({{"apiVersion", &any},
                                   {"kind", &any},
                                   {"metadata", &meta},
                                   {"spec", &pod_spec},
                                   {"status", &any}});
  static const Shape service_port = object({{"name", &any},
                                            {"protocol", &any},
                                            {"port", &any},
                                            {"targetPort", &any},
                                            {"nodePort", &any}});
  static const Shape service_ports = list_of(&service_port);
  static const Shape client_ip = object({{"timeoutSeconds", &any}});
  static const Shape affinity_config = object({{"clientIP", &client_ip}});
  static const Shape service_spec = object({{"type", &any},
                                            {"selector", &any},
                                            {"ports", &service_ports},
                                            {"clusterIP", &any},
                                            {"clusterIPs", &any},
                                            {"externalIPs", &any},
                                            {"externalName", &any},
                                            {"sessionAffinity", &any},
                                            {"sessionAffinityConfig", &affinity_config},
                                            {"publishNotReadyAddresses", &any}});
  static const Shape service = object({{"apiVersion", &any},
                                       {"kind", &any},
                                       {"metadata", &meta},
                                       {"spec", &service_spec},
                                       {"status", &any}});
  static const Shape target_ref =
      object({{"kind", &any}, {"namespace", &any}, {"name", &any}, {"uid", &any}});
  static const Shape address =
      object({{"ip", &any}, {"hostname", &any}, {"nodeName", &any}, {"targetRef", &target_ref}});
  static const Shape addresses = list_of(&address);
  static const Shape endpoint_port = object({{"name", &any}, {"port", &any}, {"protocol", &any}});
  static const Shape endpoint_ports = list_of(&endpoint_port);
  static const Shape subset = object(
      {{"addresses", &addresses}, {"notReadyAddresses", &addresses}, {"ports", &endpoint_ports}});
  static const Shape subsets = list_of(&subset);
  static const Shape endpoints =
      object({{"apiVersion", &any}, {"kind", &any}, {"metadata", &meta}, {"subsets", &subsets}});
  static const Shape rolling = object({{"maxSurge", &any}, {"maxUnavailable", &any}});
  static const Shape strategy = object({{"type", &any}, {"rollingUpdate", &rolling}});
  static const Shape deployment_spec = object({{"replicas", &any},
                                               {"selector", &selector},
                                               {"template", &pod_template},
                                               {"strategy", &strategy},
                                               {"minReadySeconds", &any},
                                               {"revisionHistoryLimit", &any},
                                               {"progressDeadlineSeconds", &any},
                                               {"paused", &any}});
  static const Shape deployment = object({{"apiVersion", &any},
                                          {"kind", &any},
                                          {"metadata", &meta},
                                          {"spec", &deployment_spec},
                                          {"status", &any}});
  static const Shape replica_set_spec = object({{"replicas", &any},
                                                {"minReadySeconds", &any},
                                                {"selector", &selector},
                                                {"template", &pod_template}});
  static const Shape replica_set = object({{"apiVersion", &any},
                                           {"kind", &any},
                                           {"metadata", &meta},
                                           {"spec", &replica_set_spec},
                                           {"status", &any}});
  static const Shape object_ref = object({{"kind", &any},
                                          {"namespace", &any},
                                          {"name", &any},
                                          {"uid", &any},
                                          {"apiVersion", &any},
                                          {"resourceVersion", &any},
                                          {"fieldPath", &any}});
  static const Shape event_source = object({{"component", &any}, {"host", &any}});
  static const Shape event = object({{"apiVersion", &any},
                                     {"kind", &any},
                                     {"metadata", &meta},
                                     {"involvedObject", &object_ref},
                                     {"reason", &any},
                                     {"message", &any},
                                     {"source", &event_source},
                                     {"firstTimestamp", &any},
                                     {"lastTimestamp", &any},
                                     {"count", &any},
                                     {"type", &any},
                                     {"eventTime", &any},
                                     {"reportingComponent", &any},
                                     {"reportingInstance", &any}});
  static const Shape config_map = object({{"apiVersion", &any},
                                          {"kind", &any},
                                          {"metadata", &meta},
                                          {"data", &any},
                                          {"binaryData", &any},
                                          {"immutable", &any}});
  static const Shape secret = object({{"apiVersion", &any},
                                      {"kind", &any},
                                      {"metadata", &meta},
                                      {"type", &any},
                                      {"data", &any},
                                      {"stringData", &any},
                                      {"immutable", &any}});
  switch (kind) {
    case Kind::kEvent:
      return &event;
    case Kind::kPod:
      return &pod;
    case Kind::kService:
      return &service;
    case Kind::kEndpoints:
      return &endpoints;
    case Kind::kDeployment:
      return &deployment;
    case Kind::kReplicaSet:
      return &replica_set;
    case Kind::kConfigMap:
      return &config_map;
    case Kind::kSecret:
      return &secret;
    case Kind::kNode:
      break;  // written by the daemon; not checked
  }
  return &any;
}

void unknown_fields(const json& j, const Shape& shape, const std::string& path,
                    std::vector<Diagnostic>& out) {
  if (shape.type == Shape::Type::kObject && j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string p = at(path, it.key());
      const Shape* child = nullptr;
      for (const auto& [name, s] : shape.fields) {
        if (name == it.key()) child = s;
      }
      if (child == nullptr) {
        Diagnostic d;
        d.severity = Diagnostic::Severity::kWarning;
        d.field = p;
        d.message = "unknown field " + quote(p);
        out.push_back(std::move(d));
      } else {
        unknown_fields(it.value(), *child, p, out);
      }
    }
  } else if (shape.type == Shape::Type::kList && j.is_array() && shape.items != nullptr) {
    for (size_t i = 0; i < j.size(); ++i) unknown_fields(j[i], *shape.items, item(path, i), out);
  }
}

}  // namespace

std::vector<Diagnostic> check_document(const json& document, std::optional<Kind>* kind_out) {
  std::vector<Diagnostic> out;
  Errors e(out);
  if (kind_out) kind_out->reset();
  if (!document.is_object()) {
    e.add("", "a manifest must be a mapping (apiVersion, kind, metadata, ...)");
    return out;
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = document.find(key);
    if (it == document.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto kind = text("kind");
  const auto api_version = text("apiVersion");
  if (!kind || kind->empty()) e.required("kind");
  if (!api_version || api_version->empty()) e.required("apiVersion");
  if (!out.empty()) return out;
  for (Kind k : kAllKinds) {
    const KindInfo& info = kind_info(k);
    if (info.name == *kind && info.api_version == *api_version) {
      if (kind_out) *kind_out = k;
      unknown_fields(document, *shape_of(k), "", out);
      return out;
    }
  }
  e.add("kind", "no matches for kind " + quote(*kind) + " in version " + quote(*api_version));
  return out;
}

}  // namespace skiff::config
