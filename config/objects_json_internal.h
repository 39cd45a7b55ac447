// Internals shared by the objects_json*.cpp files, which convert the typed objects to and from
// Kubernetes JSON. One file a concern:
//   objects_json.cpp             entry points, dispatch by kind, List and Status, metadata,
//                                selectors, conditions, object references
//   objects_json_primitives.cpp  scalar readers (typed errors naming the field path) and the
//                                omitempty writers
//   objects_json_container.cpp   containers: ports, env, volume mounts, resources, probes
//   objects_json_pod.cpp         Pod, PodSpec, PodTemplateSpec, volumes, PodStatus
//   objects_json_service.cpp     Service, Endpoints
//   objects_json_workloads.cpp   Deployment, ReplicaSet
//   objects_json_config.cpp      ConfigMap, Secret
//   objects_json_cluster.cpp     Node, Event
// Not a public interface: everything else includes config/objects_json.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/objects_json.h"

namespace skiff::config {

// Writers for the nested types, declared first so the templates below find them.
void to_json(json& j, const OwnerReference& v);
void to_json(json& j, const LabelSelectorRequirement& v);
void to_json(json& j, const LabelSelector& v);
void to_json(json& j, const ContainerPort& v);
void to_json(json& j, const KeySelector& v);
void to_json(json& j, const EnvVar& v);
void to_json(json& j, const EnvFromRef& v);
void to_json(json& j, const EnvFromSource& v);
void to_json(json& j, const VolumeMount& v);
void to_json(json& j, const KeyToPath& v);
void to_json(json& j, const Volume& v);
void to_json(json& j, const Probe& v);
void to_json(json& j, const Container& v);
void to_json(json& j, const PodSpec& v);
void to_json(json& j, const ContainerState& v);
void to_json(json& j, const ContainerStatus& v);
void to_json(json& j, const Condition& v);
void to_json(json& j, const PodStatus& v);
void to_json(json& j, const ServicePort& v);
void to_json(json& j, const LoadBalancerIngress& v);
void to_json(json& j, const EndpointAddress& v);
void to_json(json& j, const EndpointPort& v);
void to_json(json& j, const EndpointSubset& v);

// The helpers, in one named namespace so every objects_json*.cpp shares them; the files use
// them unqualified (the using-directive below), as when they were one file's anonymous
// namespace.
namespace json_detail {

// Reading (objects_json_primitives.cpp): every reader takes the field path so a wrong type
// names where it was.
std::string type_name(const json& j);
[[noreturn]] void type_error(const std::string& path, const char* expected, const json& got);
std::string at(const std::string& path, std::string_view key);
std::string item_path(const std::string& path, size_t i);
// Null and absent are the same, as in the Kubernetes API.
const json* find(const json& o, const char* key);
void expect_object(const json& j, const std::string& path);
int64_t read_int64(const json& j, const std::string& p);
void read(const json& j, const std::string& p, std::string& out);
void read(const json& j, const std::string& p, int64_t& out);
void read(const json& j, const std::string& p, int& out);
void read(const json& j, const std::string& p, bool& out);
void read(const json& j, const std::string& p, StringMap& out);
void read(const json& j, const std::string& p, IntOrString& out);
// A quantity may be a number in YAML; it is kept as text.
void read_quantity(const json& j, const std::string& p, std::string& out);
void read_quantities(const json& o, const std::string& p, const char* key, StringMap& out);

template <class T>
void read(const json& j, const std::string& p, std::vector<T>& out);
template <class T>
void read(const json& j, const std::string& p, std::optional<T>& out);

// Struct readers, declared first so field() finds them.
void read(const json& j, const std::string& p, OwnerReference& v);
void read(const json& j, const std::string& p, ObjectMeta& v);
void read(const json& j, const std::string& p, LabelSelectorRequirement& v);
void read(const json& j, const std::string& p, LabelSelector& v);
void read(const json& j, const std::string& p, ContainerPort& v);
void read(const json& j, const std::string& p, KeySelector& v);
void read(const json& j, const std::string& p, ObjectFieldSelector& v);
void read(const json& j, const std::string& p, ResourceFieldSelector& v);
void read(const json& j, const std::string& p, EnvVarSource& v);
void read(const json& j, const std::string& p, EnvVar& v);
void read(const json& j, const std::string& p, EnvFromRef& v);
void read(const json& j, const std::string& p, EnvFromSource& v);
void read(const json& j, const std::string& p, VolumeMount& v);
void read(const json& j, const std::string& p, ResourceRequirements& v);
void read(const json& j, const std::string& p, EmptyDirVolumeSource& v);
void read(const json& j, const std::string& p, HostPathVolumeSource& v);
void read(const json& j, const std::string& p, KeyToPath& v);
void read(const json& j, const std::string& p, ConfigMapVolumeSource& v);
void read(const json& j, const std::string& p, SecretVolumeSource& v);
void read(const json& j, const std::string& p, Volume& v);
void read(const json& j, const std::string& p, ExecAction& v);
void read(const json& j, const std::string& p, std::pair<std::string, std::string>& v);
void read(const json& j, const std::string& p, HTTPGetAction& v);
void read(const json& j, const std::string& p, TCPSocketAction& v);
void read(const json& j, const std::string& p, Probe& v);
void read(const json& j, const std::string& p, Container& v);
void read(const json& j, const std::string& p, PodSpec& v);
void read(const json& j, const std::string& p, PodTemplateSpec& v);
void read(const json& j, const std::string& p, ContainerStateWaiting& v);
void read(const json& j, const std::string& p, ContainerStateRunning& v);
void read(const json& j, const std::string& p, ContainerStateTerminated& v);
void read(const json& j, const std::string& p, ContainerState& v);
void read(const json& j, const std::string& p, ContainerStatus& v);
void read(const json& j, const std::string& p, Condition& v);
void read(const json& j, const std::string& p, PodStatus& v);
void read(const json& j, const std::string& p, ServicePort& v);
void read(const json& j, const std::string& p, ServiceSpec& v);
void read(const json& j, const std::string& p, LoadBalancerIngress& v);
void read(const json& j, const std::string& p, ServiceStatus& v);
void read(const json& j, const std::string& p, ObjectReference& v);
void read(const json& j, const std::string& p, EndpointAddress& v);
void read(const json& j, const std::string& p, EndpointPort& v);
void read(const json& j, const std::string& p, EndpointSubset& v);
void read(const json& j, const std::string& p, ReplicaSetSpec& v);
void read(const json& j, const std::string& p, ReplicaSetStatus& v);
void read(const json& j, const std::string& p, DeploymentStrategy& v);
void read(const json& j, const std::string& p, DeploymentSpec& v);
void read(const json& j, const std::string& p, DeploymentStatus& v);
void read(const json& j, const std::string& p, Pod& v);
void read(const json& j, const std::string& p, Service& v);
void read(const json& j, const std::string& p, Endpoints& v);
void read(const json& j, const std::string& p, Deployment& v);
void read(const json& j, const std::string& p, ReplicaSet& v);
void read(const json& j, const std::string& p, EventSource& v);
void read(const json& j, const std::string& p, Event& v);
void read(const json& j, const std::string& p, ConfigMap& v);
void read(const json& j, const std::string& p, Secret& v);
void read(const json& j, const std::string& p, NodeAddress& v);
void read(const json& j, const std::string& p, NodeSystemInfo& v);
void read(const json& j, const std::string& p, NodeSpec& v);
void read(const json& j, const std::string& p, NodeStatus& v);
void read(const json& j, const std::string& p, Node& v);

template <class T>
void field(const json& o, const std::string& p, const char* key, T& out) {
  if (const json* v = find(o, key)) read(*v, at(p, key), out);
}

template <class T>
void read(const json& j, const std::string& p, std::vector<T>& out) {
  if (!j.is_array()) type_error(p, "array", j);
  out.clear();
  out.resize(j.size());
  for (size_t i = 0; i < j.size(); ++i) read(j[i], item_path(p, i), out[i]);
}
template <class T>
void read(const json& j, const std::string& p, std::optional<T>& out) {
  out.emplace();
  read(j, p, *out);
}

// Writing (objects_json_primitives.cpp): empty strings, maps and lists are left out, as the
// API server's omitempty.
void put(json& o, const char* key, const std::string& v);
void put(json& o, const char* key, const StringMap& v);
void put(json& o, const char* key, const std::vector<std::string>& v);
void put_nonzero(json& o, const char* key, int64_t v);
void put_true(json& o, const char* key, bool v);
json int_or_string(const IntOrString& v);

template <class T>
void put_list(json& o, const char* key, const std::vector<T>& items) {
  if (items.empty()) return;
  json arr = json::array();
  for (const auto& item : items) arr.push_back(item);  // ADL to_json below
  o[key] = std::move(arr);
}

// ObjectMeta as JSON (objects_json.cpp); a template's omits the default namespace.
json meta_json(const ObjectMeta& v, bool is_template);

}  // namespace json_detail

using namespace json_detail;  // NOLINT(build/namespaces): internal header, see above

}  // namespace skiff::config
