#include "config/objects_json.h"

#include <limits>

#include "config/base64.h"
#include "config/kinds.h"

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

namespace {

// ---- Reading: every reader takes the field path so a wrong type names where it was. ----------

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::null:
      return "null";
    default:
      return "binary";
  }
}

[[noreturn]] void type_error(const std::string& path, const char* expected, const json& got) {
  throw ApiError::bad_request(path + ": expected " + expected + ", got " + type_name(got));
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Null and absent are the same, as in the Kubernetes API.
const json* find(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

void expect_object(const json& j, const std::string& path) {
  if (!j.is_object()) type_error(path.empty() ? "object" : path, "object", j);
}

int64_t read_int64(const json& j, const std::string& p) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      throw ApiError::bad_request(p + ": integer out of range");
    }
    return j.get<int64_t>();
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    // The range first: converting a double outside int64's range is undefined behaviour.
    if (d > -9.2e18 && d < 9.2e18 && d == static_cast<double>(static_cast<int64_t>(d))) {
      return static_cast<int64_t>(d);
    }
  }
  type_error(p, "integer", j);
}

void read(const json& j, const std::string& p, std::string& out) {
  if (!j.is_string()) type_error(p, "string", j);
  out = j.get<std::string>();
}
void read(const json& j, const std::string& p, int64_t& out) { out = read_int64(j, p); }
void read(const json& j, const std::string& p, int& out) {
  int64_t v = read_int64(j, p);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    throw ApiError::bad_request(p + ": integer " + std::to_string(v) + " out of range");
  }
  out = static_cast<int>(v);
}
void read(const json& j, const std::string& p, bool& out) {
  if (!j.is_boolean()) type_error(p, "boolean", j);
  out = j.get<bool>();
}
void read(const json& j, const std::string& p, StringMap& out) {
  expect_object(j, p);
  out.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    read(it.value(), at(p, it.key()), out[it.key()]);
  }
}
void read(const json& j, const std::string& p, IntOrString& out) {
  if (j.is_string()) {
    out = IntOrString::of(j.get<std::string>());
  } else if (j.is_number()) {
    int v = 0;
    read(j, p, v);
    out = IntOrString::of(v);
  } else {
    type_error(p, "integer or string", j);
  }
}

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

void read(const json& j, const std::string& p, OwnerReference& v) {
  expect_object(j, p);
  field(j, p, "apiVersion", v.api_version);
  field(j, p, "kind", v.kind);
  field(j, p, "name", v.name);
  field(j, p, "uid", v.uid);
  field(j, p, "controller", v.controller);
  field(j, p, "blockOwnerDeletion", v.block_owner_deletion);
}

void read(const json& j, const std::string& p, ObjectMeta& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "generateName", v.generate_name);
  field(j, p, "namespace", v.namespace_);
  if (v.namespace_.empty()) v.namespace_ = "default";
  field(j, p, "uid", v.uid);
  if (const json* rv = find(j, "resourceVersion")) {
    const std::string path = at(p, "resourceVersion");
    if (rv->is_string()) {
      const std::string s = rv->get<std::string>();
      v.resource_version = 0;
      if (!s.empty()) {
        if (s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
          throw ApiError::bad_request(path + ": invalid resource version \"" + s + "\"");
        }
        v.resource_version = std::stoull(s);
      }
    } else if (rv->is_number_unsigned() || (rv->is_number_integer() && rv->get<int64_t>() >= 0)) {
      v.resource_version = rv->get<uint64_t>();
    } else {
      type_error(path, "string", *rv);
    }
  }
  field(j, p, "generation", v.generation);
  field(j, p, "creationTimestamp", v.creation_timestamp);
  field(j, p, "deletionTimestamp", v.deletion_timestamp);
  field(j, p, "deletionGracePeriodSeconds", v.deletion_grace_period_seconds);
  field(j, p, "labels", v.labels);
  field(j, p, "annotations", v.annotations);
  field(j, p, "ownerReferences", v.owner_references);
}

void read(const json& j, const std::string& p, LabelSelectorRequirement& v) {
  expect_object(j, p);
  field(j, p, "key", v.key);
  field(j, p, "operator", v.op);
  field(j, p, "values", v.values);
}

void read(const json& j, const std::string& p, LabelSelector& v) {
  expect_object(j, p);
  field(j, p, "matchLabels", v.match_labels);
  field(j, p, "matchExpressions", v.match_expressions);
}

void read(const json& j, const std::string& p, ContainerPort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "containerPort", v.container_port);
  field(j, p, "protocol", v.protocol);
  field(j, p, "hostPort", v.host_port);
}

void read(const json& j, const std::string& p, KeySelector& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "key", v.key);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, ObjectFieldSelector& v) {
  expect_object(j, p);
  field(j, p, "fieldPath", v.field_path);
  field(j, p, "apiVersion", v.api_version);
}

void read(const json& j, const std::string& p, EnvVarSource& v) {
  expect_object(j, p);
  field(j, p, "configMapKeyRef", v.config_map_key_ref);
  field(j, p, "secretKeyRef", v.secret_key_ref);
  field(j, p, "fieldRef", v.field_ref);
  field(j, p, "resourceFieldRef", v.resource_field_ref);
}

void read(const json& j, const std::string& p, EnvVar& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "value", v.value);
  field(j, p, "valueFrom", v.value_from);
}

void read(const json& j, const std::string& p, EnvFromRef& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, EnvFromSource& v) {
  expect_object(j, p);
  field(j, p, "prefix", v.prefix);
  field(j, p, "configMapRef", v.config_map_ref);
  field(j, p, "secretRef", v.secret_ref);
}

void read(const json& j, const std::string& p, VolumeMount& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "mountPath", v.mount_path);
  field(j, p, "readOnly", v.read_only);
  field(j, p, "subPath", v.sub_path);
}

// A quantity may be written as a number in YAML (`cpu: 1`, `cpu: 0.5`); it is kept as text.
void read_quantity(const json& j, const std::string& p, std::string& out) {
  if (j.is_string()) {
    out = j.get<std::string>();
  } else if (j.is_number()) {
    out = j.dump();
  } else {
    type_error(p, "quantity (string or number)", j);
  }
}

void read_quantities(const json& o, const std::string& p, const char* key, StringMap& out) {
  const json* j = find(o, key);
  if (j == nullptr) return;
  const std::string path = at(p, key);
  expect_object(*j, path);
  out.clear();
  for (auto it = j->begin(); it != j->end(); ++it) {
    if (it.value().is_null()) continue;
    read_quantity(it.value(), at(path, it.key()), out[it.key()]);
  }
}

void read(const json& j, const std::string& p, ResourceFieldSelector& v) {
  expect_object(j, p);
  field(j, p, "containerName", v.container_name);
  field(j, p, "resource", v.resource);
  if (const json* divisor = find(j, "divisor"))
    read_quantity(*divisor, at(p, "divisor"), v.divisor);
}

void read(const json& j, const std::string& p, ResourceRequirements& v) {
  expect_object(j, p);
  read_quantities(j, p, "requests", v.requests);
  read_quantities(j, p, "limits", v.limits);
}

void read(const json& j, const std::string& p, EmptyDirVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "medium", v.medium);
  if (const json* size = find(j, "sizeLimit"))
    read_quantity(*size, at(p, "sizeLimit"), v.size_limit);
}

void read(const json& j, const std::string& p, HostPathVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "path", v.path);
  field(j, p, "type", v.type);
}

void read(const json& j, const std::string& p, KeyToPath& v) {
  expect_object(j, p);
  field(j, p, "key", v.key);
  field(j, p, "path", v.path);
  field(j, p, "mode", v.mode);
}

void read(const json& j, const std::string& p, ConfigMapVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "items", v.items);
  field(j, p, "defaultMode", v.default_mode);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, SecretVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "secretName", v.secret_name);
  field(j, p, "items", v.items);
  field(j, p, "defaultMode", v.default_mode);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, Volume& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "emptyDir", v.empty_dir);
  field(j, p, "hostPath", v.host_path);
  field(j, p, "configMap", v.config_map);
  field(j, p, "secret", v.secret);
}

void read(const json& j, const std::string& p, ExecAction& v) {
  expect_object(j, p);
  field(j, p, "command", v.command);
}

void read(const json& j, const std::string& p, std::pair<std::string, std::string>& v) {
  expect_object(j, p);
  field(j, p, "name", v.first);
  field(j, p, "value", v.second);
}

void read(const json& j, const std::string& p, HTTPGetAction& v) {
  expect_object(j, p);
  field(j, p, "path", v.path);
  field(j, p, "port", v.port);
  field(j, p, "host", v.host);
  field(j, p, "scheme", v.scheme);
  field(j, p, "httpHeaders", v.http_headers);
}

void read(const json& j, const std::string& p, TCPSocketAction& v) {
  expect_object(j, p);
  field(j, p, "port", v.port);
  field(j, p, "host", v.host);
}

void read(const json& j, const std::string& p, Probe& v) {
  expect_object(j, p);
  field(j, p, "exec", v.exec);
  field(j, p, "httpGet", v.http_get);
  field(j, p, "tcpSocket", v.tcp_socket);
  field(j, p, "initialDelaySeconds", v.initial_delay_seconds);
  field(j, p, "timeoutSeconds", v.timeout_seconds);
  field(j, p, "periodSeconds", v.period_seconds);
  field(j, p, "successThreshold", v.success_threshold);
  field(j, p, "failureThreshold", v.failure_threshold);
}

void read(const json& j, const std::string& p, Container& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "image", v.image);
  field(j, p, "imagePullPolicy", v.image_pull_policy);
  field(j, p, "command", v.command);
  field(j, p, "args", v.args);
  field(j, p, "workingDir", v.working_dir);
  field(j, p, "ports", v.ports);
  field(j, p, "env", v.env);
  field(j, p, "envFrom", v.env_from);
  field(j, p, "volumeMounts", v.volume_mounts);
  field(j, p, "resources", v.resources);
  field(j, p, "readinessProbe", v.readiness_probe);
  field(j, p, "livenessProbe", v.liveness_probe);
  field(j, p, "startupProbe", v.startup_probe);
}

void read(const json& j, const std::string& p, PodSpec& v) {
  expect_object(j, p);
  field(j, p, "containers", v.containers);
  field(j, p, "volumes", v.volumes);
  field(j, p, "restartPolicy", v.restart_policy);
  field(j, p, "terminationGracePeriodSeconds", v.termination_grace_period_seconds);
  field(j, p, "nodeName", v.node_name);
  field(j, p, "hostname", v.hostname);
  field(j, p, "subdomain", v.subdomain);
}

void read(const json& j, const std::string& p, PodTemplateSpec& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
}

void read(const json& j, const std::string& p, ContainerStateWaiting& v) {
  expect_object(j, p);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
}
void read(const json& j, const std::string& p, ContainerStateRunning& v) {
  expect_object(j, p);
  field(j, p, "startedAt", v.started_at);
}
void read(const json& j, const std::string& p, ContainerStateTerminated& v) {
  expect_object(j, p);
  field(j, p, "exitCode", v.exit_code);
  field(j, p, "signal", v.signal);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
  field(j, p, "startedAt", v.started_at);
  field(j, p, "finishedAt", v.finished_at);
  field(j, p, "containerID", v.container_id);
}
void read(const json& j, const std::string& p, ContainerState& v) {
  expect_object(j, p);
  field(j, p, "waiting", v.waiting);
  field(j, p, "running", v.running);
  field(j, p, "terminated", v.terminated);
}

void read(const json& j, const std::string& p, ContainerStatus& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "state", v.state);
  field(j, p, "lastState", v.last_state);
  field(j, p, "ready", v.ready);
  field(j, p, "started", v.started);
  field(j, p, "restartCount", v.restart_count);
  field(j, p, "image", v.image);
  field(j, p, "imageID", v.image_id);
  field(j, p, "containerID", v.container_id);
}

void read(const json& j, const std::string& p, Condition& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  field(j, p, "status", v.status);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
  field(j, p, "lastTransitionTime", v.last_transition_time);
  field(j, p, "lastUpdateTime", v.last_update_time);
}

void read(const json& j, const std::string& p, PodStatus& v) {
  expect_object(j, p);
  field(j, p, "phase", v.phase);
  field(j, p, "conditions", v.conditions);
  field(j, p, "containerStatuses", v.container_statuses);
  field(j, p, "hostIP", v.host_ip);
  field(j, p, "podIP", v.pod_ip);
  if (const json* ips = find(j, "podIPs")) {
    const std::string path = at(p, "podIPs");
    if (!ips->is_array()) type_error(path, "array", *ips);
    v.pod_ips.clear();
    for (size_t i = 0; i < ips->size(); ++i) {
      const json& item = (*ips)[i];
      expect_object(item, item_path(path, i));
      std::string ip;
      field(item, item_path(path, i), "ip", ip);
      v.pod_ips.push_back(std::move(ip));
    }
  }
  field(j, p, "startTime", v.start_time);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
}

void read(const json& j, const std::string& p, ServicePort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "protocol", v.protocol);
  field(j, p, "port", v.port);
  field(j, p, "targetPort", v.target_port);
  field(j, p, "nodePort", v.node_port);
}

void read(const json& j, const std::string& p, ServiceSpec& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  field(j, p, "selector", v.selector);
  field(j, p, "ports", v.ports);
  field(j, p, "clusterIP", v.cluster_ip);
  field(j, p, "clusterIPs", v.cluster_ips);
  field(j, p, "externalIPs", v.external_ips);
  field(j, p, "externalName", v.external_name);
  field(j, p, "sessionAffinity", v.session_affinity);
  if (const json* c = find(j, "sessionAffinityConfig")) {
    const std::string cp = at(p, "sessionAffinityConfig");
    expect_object(*c, cp);
    if (const json* ip = find(*c, "clientIP")) {
      expect_object(*ip, at(cp, "clientIP"));
      field(*ip, at(cp, "clientIP"), "timeoutSeconds", v.session_affinity_timeout_seconds);
    }
  }
  field(j, p, "publishNotReadyAddresses", v.publish_not_ready_addresses);
}

void read(const json& j, const std::string& p, LoadBalancerIngress& v) {
  expect_object(j, p);
  field(j, p, "ip", v.ip);
  field(j, p, "hostname", v.hostname);
}

void read(const json& j, const std::string& p, ServiceStatus& v) {
  expect_object(j, p);
  if (const json* lb = find(j, "loadBalancer")) {
    expect_object(*lb, at(p, "loadBalancer"));
    field(*lb, at(p, "loadBalancer"), "ingress", v.load_balancer_ingress);
  }
}

void read(const json& j, const std::string& p, ObjectReference& v) {
  expect_object(j, p);
  field(j, p, "kind", v.kind);
  field(j, p, "namespace", v.namespace_);
  field(j, p, "name", v.name);
  field(j, p, "uid", v.uid);
  field(j, p, "apiVersion", v.api_version);
  field(j, p, "fieldPath", v.field_path);
}

void read(const json& j, const std::string& p, EndpointAddress& v) {
  expect_object(j, p);
  field(j, p, "ip", v.ip);
  field(j, p, "hostname", v.hostname);
  field(j, p, "nodeName", v.node_name);
  field(j, p, "targetRef", v.target_ref);
}

void read(const json& j, const std::string& p, EndpointPort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "port", v.port);
  field(j, p, "protocol", v.protocol);
}

void read(const json& j, const std::string& p, EndpointSubset& v) {
  expect_object(j, p);
  field(j, p, "addresses", v.addresses);
  field(j, p, "notReadyAddresses", v.not_ready_addresses);
  field(j, p, "ports", v.ports);
}

void read(const json& j, const std::string& p, ReplicaSetSpec& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "minReadySeconds", v.min_ready_seconds);
  field(j, p, "selector", v.selector);
  field(j, p, "template", v.template_);
}

void read(const json& j, const std::string& p, ReplicaSetStatus& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "fullyLabeledReplicas", v.fully_labeled_replicas);
  field(j, p, "readyReplicas", v.ready_replicas);
  field(j, p, "availableReplicas", v.available_replicas);
  field(j, p, "observedGeneration", v.observed_generation);
}

void read(const json& j, const std::string& p, DeploymentStrategy& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  if (const json* ru = find(j, "rollingUpdate")) {
    const std::string rp = at(p, "rollingUpdate");
    expect_object(*ru, rp);
    field(*ru, rp, "maxSurge", v.max_surge);
    field(*ru, rp, "maxUnavailable", v.max_unavailable);
  }
}

void read(const json& j, const std::string& p, DeploymentSpec& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "selector", v.selector);
  field(j, p, "template", v.template_);
  field(j, p, "strategy", v.strategy);
  field(j, p, "minReadySeconds", v.min_ready_seconds);
  field(j, p, "revisionHistoryLimit", v.revision_history_limit);
  field(j, p, "progressDeadlineSeconds", v.progress_deadline_seconds);
  field(j, p, "paused", v.paused);
}

void read(const json& j, const std::string& p, DeploymentStatus& v) {
  expect_object(j, p);
  field(j, p, "observedGeneration", v.observed_generation);
  field(j, p, "replicas", v.replicas);
  field(j, p, "updatedReplicas", v.updated_replicas);
  field(j, p, "readyReplicas", v.ready_replicas);
  field(j, p, "availableReplicas", v.available_replicas);
  field(j, p, "unavailableReplicas", v.unavailable_replicas);
  field(j, p, "conditions", v.conditions);
}

void read(const json& j, const std::string& p, Pod& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, Service& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, Endpoints& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "subsets", v.subsets);
}
void read(const json& j, const std::string& p, Deployment& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, ReplicaSet& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, EventSource& v) {
  expect_object(j, p);
  field(j, p, "component", v.component);
  field(j, p, "host", v.host);
}
void read(const json& j, const std::string& p, Event& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "involvedObject", v.involved_object);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
  field(j, p, "source", v.source);
  field(j, p, "firstTimestamp", v.first_timestamp);
  field(j, p, "lastTimestamp", v.last_timestamp);
  field(j, p, "count", v.count);
  field(j, p, "type", v.type);
}

// Base64 values (Secret data, ConfigMap binaryData) are decoded on the way in; a bad one is
// refused with its key, as the API server does.
void read_base64_map(const json& o, const std::string& p, const char* key, StringMap& out) {
  const json* j = find(o, key);
  if (j == nullptr) return;
  const std::string path = at(p, key);
  expect_object(*j, path);
  out.clear();
  for (auto it = j->begin(); it != j->end(); ++it) {
    std::string text;
    read(it.value(), at(path, it.key()), text);
    auto bytes = base64_decode(text);
    if (!bytes) {
      throw ApiError::bad_request(at(path, it.key()) + ": illegal base64 data");
    }
    out[it.key()] = std::move(*bytes);
  }
}

void read(const json& j, const std::string& p, ConfigMap& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "data", v.data);
  read_base64_map(j, p, "binaryData", v.binary_data);
  field(j, p, "immutable", v.immutable);
}

// stringData is merged into data (its values win), as the API server does on write, so the
// stored object and every reply carry data only.
void read(const json& j, const std::string& p, Secret& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "type", v.type);
  read_base64_map(j, p, "data", v.data);
  field(j, p, "stringData", v.string_data);
  for (auto& [key, value] : v.string_data) v.data[key] = std::move(value);
  v.string_data.clear();
  field(j, p, "immutable", v.immutable);
}

void read(const json& j, const std::string& p, NodeAddress& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  field(j, p, "address", v.address);
}

void read(const json& j, const std::string& p, NodeSystemInfo& v) {
  expect_object(j, p);
  field(j, p, "kernelVersion", v.kernel_version);
  field(j, p, "osImage", v.os_image);
  field(j, p, "operatingSystem", v.operating_system);
  field(j, p, "architecture", v.architecture);
  field(j, p, "containerRuntimeVersion", v.container_runtime_version);
  field(j, p, "kubeletVersion", v.kubelet_version);
}

void read(const json& j, const std::string& p, NodeSpec& v) {
  expect_object(j, p);
  field(j, p, "unschedulable", v.unschedulable);
}

void read(const json& j, const std::string& p, NodeStatus& v) {
  expect_object(j, p);
  read_quantities(j, p, "capacity", v.capacity);
  read_quantities(j, p, "allocatable", v.allocatable);
  field(j, p, "conditions", v.conditions);
  field(j, p, "addresses", v.addresses);
  field(j, p, "nodeInfo", v.node_info);
}

void read(const json& j, const std::string& p, Node& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  v.metadata.namespace_.clear();  // cluster-scoped
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
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

// ---- Writing: empty strings, maps and lists are left out, as the API server's omitempty. -----

void put(json& o, const char* key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}
void put(json& o, const char* key, const StringMap& v) {
  if (!v.empty()) o[key] = v;
}
void put(json& o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = v;
}
void put_nonzero(json& o, const char* key, int64_t v) {
  if (v != 0) o[key] = v;
}
void put_true(json& o, const char* key, bool v) {
  if (v) o[key] = true;
}
json int_or_string(const IntOrString& v) {
  return v.is_int ? json(v.int_value) : json(v.str_value);
}
template <class T>
void put_list(json& o, const char* key, const std::vector<T>& items) {
  if (items.empty()) return;
  json arr = json::array();
  for (const auto& item : items) arr.push_back(item);  // ADL to_json below
  o[key] = std::move(arr);
}

json meta_json(const ObjectMeta& v, bool is_template) {
  json o = json::object();
  put(o, "name", v.name);
  put(o, "generateName", v.generate_name);
  // A template's metadata carries no namespace in Kubernetes; the default is not worth printing.
  if (!(is_template && v.namespace_ == "default")) put(o, "namespace", v.namespace_);
  put(o, "uid", v.uid);
  if (v.resource_version != 0) o["resourceVersion"] = std::to_string(v.resource_version);
  put_nonzero(o, "generation", v.generation);
  put(o, "creationTimestamp", v.creation_timestamp);
  if (v.deletion_timestamp) o["deletionTimestamp"] = *v.deletion_timestamp;
  if (v.deletion_grace_period_seconds) {
    o["deletionGracePeriodSeconds"] = *v.deletion_grace_period_seconds;
  }
  put(o, "labels", v.labels);
  put(o, "annotations", v.annotations);
  put_list(o, "ownerReferences", v.owner_references);
  return o;
}

}  // namespace

// Per-type writers found by ADL from put_list and json(x).
void to_json(json& j, const OwnerReference& v) {
  j = json::object();
  put(j, "apiVersion", v.api_version);
  put(j, "kind", v.kind);
  put(j, "name", v.name);
  put(j, "uid", v.uid);
  put_true(j, "controller", v.controller);
  put_true(j, "blockOwnerDeletion", v.block_owner_deletion);
}

void to_json(json& j, const LabelSelectorRequirement& v) {
  j = json::object();
  j["key"] = v.key;
  j["operator"] = v.op;
  put(j, "values", v.values);
}

void to_json(json& j, const LabelSelector& v) {
  j = json::object();
  put(j, "matchLabels", v.match_labels);
  put_list(j, "matchExpressions", v.match_expressions);
}

void to_json(json& j, const ContainerPort& v) {
  j = json::object();
  put(j, "name", v.name);
  j["containerPort"] = v.container_port;
  put(j, "protocol", v.protocol);
  put_nonzero(j, "hostPort", v.host_port);
}

void to_json(json& j, const KeySelector& v) {
  j = json::object();
  j["name"] = v.name;
  j["key"] = v.key;
  put_true(j, "optional", v.optional);
}

void to_json(json& j, const EnvVar& v) {
  j = json::object();
  j["name"] = v.name;
  put(j, "value", v.value);
  if (v.value_from) {
    json from = json::object();
    if (v.value_from->config_map_key_ref)
      from["configMapKeyRef"] = *v.value_from->config_map_key_ref;
    if (v.value_from->secret_key_ref) from["secretKeyRef"] = *v.value_from->secret_key_ref;
    if (v.value_from->field_ref) {
      from["fieldRef"] = {{"apiVersion", v.value_from->field_ref->api_version},
                          {"fieldPath", v.value_from->field_ref->field_path}};
    }
    if (const auto& ref = v.value_from->resource_field_ref) {
      json r = json::object();
      put(r, "containerName", ref->container_name);
      r["resource"] = ref->resource;
      put(r, "divisor", ref->divisor);
      from["resourceFieldRef"] = std::move(r);
    }
    j["valueFrom"] = std::move(from);
  }
}

void to_json(json& j, const EnvFromRef& v) {
  j = json::object();
  j["name"] = v.name;
  put_true(j, "optional", v.optional);
}

void to_json(json& j, const EnvFromSource& v) {
  j = json::object();
  put(j, "prefix", v.prefix);
  if (v.config_map_ref) j["configMapRef"] = *v.config_map_ref;
  if (v.secret_ref) j["secretRef"] = *v.secret_ref;
}

void to_json(json& j, const VolumeMount& v) {
  j = json::object();
  j["name"] = v.name;
  j["mountPath"] = v.mount_path;
  put_true(j, "readOnly", v.read_only);
  put(j, "subPath", v.sub_path);
}

void to_json(json& j, const KeyToPath& v) {
  j = json::object();
  j["key"] = v.key;
  j["path"] = v.path;
  if (v.mode) j["mode"] = *v.mode;
}

void to_json(json& j, const Volume& v) {
  j = json::object();
  j["name"] = v.name;
  if (v.empty_dir) {
    json e = json::object();
    put(e, "medium", v.empty_dir->medium);
    put(e, "sizeLimit", v.empty_dir->size_limit);
    j["emptyDir"] = std::move(e);
  }
  if (v.host_path) {
    json h = json::object();
    h["path"] = v.host_path->path;
    put(h, "type", v.host_path->type);
    j["hostPath"] = std::move(h);
  }
  if (v.config_map) {
    json c = json::object();
    c["name"] = v.config_map->name;
    put_list(c, "items", v.config_map->items);
    c["defaultMode"] = v.config_map->default_mode;
    put_true(c, "optional", v.config_map->optional);
    j["configMap"] = std::move(c);
  }
  if (v.secret) {
    json c = json::object();
    c["secretName"] = v.secret->secret_name;
    put_list(c, "items", v.secret->items);
    c["defaultMode"] = v.secret->default_mode;
    put_true(c, "optional", v.secret->optional);
    j["secret"] = std::move(c);
  }
}

void to_json(json& j, const Probe& v) {
  j = json::object();
  if (v.exec) {
    json e = json::object();
    put(e, "command", v.exec->command);
    j["exec"] = std::move(e);
  }
  if (v.http_get) {
    json h = json::object();
    put(h, "path", v.http_get->path);
    h["port"] = int_or_string(v.http_get->port);
    put(h, "host", v.http_get->host);
    put(h, "scheme", v.http_get->scheme);
    if (!v.http_get->http_headers.empty()) {
      json headers = json::array();
      for (const auto& [name, value] : v.http_get->http_headers) {
        headers.push_back({{"name", name}, {"value", value}});
      }
      h["httpHeaders"] = std::move(headers);
    }
    j["httpGet"] = std::move(h);
  }
  if (v.tcp_socket) {
    json t = json::object();
    t["port"] = int_or_string(v.tcp_socket->port);
    put(t, "host", v.tcp_socket->host);
    j["tcpSocket"] = std::move(t);
  }
  put_nonzero(j, "initialDelaySeconds", v.initial_delay_seconds);
  j["timeoutSeconds"] = v.timeout_seconds;
  j["periodSeconds"] = v.period_seconds;
  j["successThreshold"] = v.success_threshold;
  j["failureThreshold"] = v.failure_threshold;
}

void to_json(json& j, const Container& v) {
  j = json::object();
  j["name"] = v.name;
  put(j, "image", v.image);
  put(j, "command", v.command);
  put(j, "args", v.args);
  put(j, "workingDir", v.working_dir);
  put_list(j, "ports", v.ports);
  put_list(j, "env", v.env);
  put_list(j, "envFrom", v.env_from);
  put_list(j, "volumeMounts", v.volume_mounts);
  if (!v.resources.requests.empty() || !v.resources.limits.empty()) {
    json r = json::object();
    put(r, "requests", v.resources.requests);
    put(r, "limits", v.resources.limits);
    j["resources"] = std::move(r);
  }
  if (v.readiness_probe) j["readinessProbe"] = *v.readiness_probe;
  if (v.liveness_probe) j["livenessProbe"] = *v.liveness_probe;
  if (v.startup_probe) j["startupProbe"] = *v.startup_probe;
  put(j, "imagePullPolicy", v.image_pull_policy);
}

void to_json(json& j, const PodSpec& v) {
  j = json::object();
  json containers = json::array();
  for (const auto& c : v.containers) containers.push_back(c);
  j["containers"] = std::move(containers);
  put_list(j, "volumes", v.volumes);
  put(j, "restartPolicy", v.restart_policy);
  j["terminationGracePeriodSeconds"] = v.termination_grace_period_seconds;
  put(j, "nodeName", v.node_name);
  put(j, "hostname", v.hostname);
  put(j, "subdomain", v.subdomain);
}

void to_json(json& j, const ContainerState& v) {
  j = json::object();
  if (v.waiting) {
    json w = json::object();
    put(w, "reason", v.waiting->reason);
    put(w, "message", v.waiting->message);
    j["waiting"] = std::move(w);
  }
  if (v.running) {
    json r = json::object();
    put(r, "startedAt", v.running->started_at);
    j["running"] = std::move(r);
  }
  if (v.terminated) {
    const auto& t = *v.terminated;
    json o = json::object();
    o["exitCode"] = t.exit_code;
    put_nonzero(o, "signal", t.signal);
    put(o, "reason", t.reason);
    put(o, "message", t.message);
    put(o, "startedAt", t.started_at);
    put(o, "finishedAt", t.finished_at);
    put(o, "containerID", t.container_id);
    j["terminated"] = std::move(o);
  }
}

void to_json(json& j, const ContainerStatus& v) {
  j = json::object();
  j["name"] = v.name;
  j["state"] = v.state;
  j["lastState"] = v.last_state;
  j["ready"] = v.ready;
  j["started"] = v.started;
  j["restartCount"] = v.restart_count;
  put(j, "image", v.image);
  put(j, "imageID", v.image_id);
  put(j, "containerID", v.container_id);
}

void to_json(json& j, const Condition& v) {
  j = json::object();
  j["type"] = v.type;
  j["status"] = v.status;
  put(j, "reason", v.reason);
  put(j, "message", v.message);
  put(j, "lastTransitionTime", v.last_transition_time);
  put(j, "lastUpdateTime", v.last_update_time);
}

void to_json(json& j, const PodStatus& v) {
  j = json::object();
  put(j, "phase", v.phase);
  put_list(j, "conditions", v.conditions);
  put_list(j, "containerStatuses", v.container_statuses);
  put(j, "hostIP", v.host_ip);
  put(j, "podIP", v.pod_ip);
  if (!v.pod_ips.empty()) {
    json ips = json::array();
    for (const auto& ip : v.pod_ips) ips.push_back({{"ip", ip}});
    j["podIPs"] = std::move(ips);
  }
  put(j, "startTime", v.start_time);
  put(j, "reason", v.reason);
  put(j, "message", v.message);
}

void to_json(json& j, const ServicePort& v) {
  j = json::object();
  put(j, "name", v.name);
  put(j, "protocol", v.protocol);
  j["port"] = v.port;
  if (!v.target_port.empty()) j["targetPort"] = int_or_string(v.target_port);
  put_nonzero(j, "nodePort", v.node_port);
}

void to_json(json& j, const LoadBalancerIngress& v) {
  j = json::object();
  put(j, "ip", v.ip);
  put(j, "hostname", v.hostname);
}

void to_json(json& j, const EndpointAddress& v) {
  j = json::object();
  j["ip"] = v.ip;
  put(j, "hostname", v.hostname);
  put(j, "nodeName", v.node_name);
  if (v.target_ref) {
    json r = json::object();
    put(r, "kind", v.target_ref->kind);
    put(r, "namespace", v.target_ref->namespace_);
    put(r, "name", v.target_ref->name);
    put(r, "uid", v.target_ref->uid);
    j["targetRef"] = std::move(r);
  }
}

void to_json(json& j, const EndpointPort& v) {
  j = json::object();
  put(j, "name", v.name);
  j["port"] = v.port;
  put(j, "protocol", v.protocol);
}

void to_json(json& j, const EndpointSubset& v) {
  j = json::object();
  put_list(j, "addresses", v.addresses);
  put_list(j, "notReadyAddresses", v.not_ready_addresses);
  put_list(j, "ports", v.ports);
}

void to_json(json& j, const ObjectMeta& v) { j = meta_json(v, false); }
void from_json(const json& j, ObjectMeta& v) { read(j, "metadata", v); }

void to_json(json& j, const PodTemplateSpec& v) {
  j = json::object();
  j["metadata"] = meta_json(v.metadata, true);
  j["spec"] = v.spec;
}
void from_json(const json& j, PodTemplateSpec& v) { read(j, "template", v); }

void to_json(json& j, const Pod& v) {
  j = json::object();
  j["kind"] = Pod::kKind;
  j["apiVersion"] = Pod::kApiVersion;
  j["metadata"] = v.metadata;
  j["spec"] = v.spec;
  j["status"] = v.status;
}
void from_json(const json& j, Pod& v) { read(j, "", v); }

void to_json(json& j, const Service& v) {
  j = json::object();
  j["kind"] = Service::kKind;
  j["apiVersion"] = Service::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  put(spec, "type", v.spec.type);
  put(spec, "selector", v.spec.selector);
  put_list(spec, "ports", v.spec.ports);
  put(spec, "clusterIP", v.spec.cluster_ip);
  put(spec, "clusterIPs", v.spec.cluster_ips);
  put(spec, "externalIPs", v.spec.external_ips);
  put(spec, "externalName", v.spec.external_name);
  put(spec, "sessionAffinity", v.spec.session_affinity);
  if (v.spec.session_affinity == "ClientIP") {
    spec["sessionAffinityConfig"] = {
        {"clientIP", {{"timeoutSeconds", v.spec.session_affinity_timeout_seconds}}}};
  }
  put_true(spec, "publishNotReadyAddresses", v.spec.publish_not_ready_addresses);
  j["spec"] = std::move(spec);
  json lb = json::object();
  put_list(lb, "ingress", v.status.load_balancer_ingress);
  j["status"] = {{"loadBalancer", std::move(lb)}};
}
void from_json(const json& j, Service& v) { read(j, "", v); }

void to_json(json& j, const Endpoints& v) {
  j = json::object();
  j["kind"] = Endpoints::kKind;
  j["apiVersion"] = Endpoints::kApiVersion;
  j["metadata"] = v.metadata;
  put_list(j, "subsets", v.subsets);
}
void from_json(const json& j, Endpoints& v) { read(j, "", v); }

void to_json(json& j, const Deployment& v) {
  j = json::object();
  j["kind"] = Deployment::kKind;
  j["apiVersion"] = Deployment::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  spec["replicas"] = v.spec.replicas;
  spec["selector"] = v.spec.selector;
  spec["template"] = v.spec.template_;
  json strategy = json::object();
  put(strategy, "type", v.spec.strategy.type);
  if (v.spec.strategy.type == "RollingUpdate") {
    strategy["rollingUpdate"] = {
        {"maxSurge", int_or_string(v.spec.strategy.max_surge)},
        {"maxUnavailable", int_or_string(v.spec.strategy.max_unavailable)}};
  }
  spec["strategy"] = std::move(strategy);
  put_nonzero(spec, "minReadySeconds", v.spec.min_ready_seconds);
  spec["revisionHistoryLimit"] = v.spec.revision_history_limit;
  spec["progressDeadlineSeconds"] = v.spec.progress_deadline_seconds;
  put_true(spec, "paused", v.spec.paused);
  j["spec"] = std::move(spec);
  json status = json::object();
  status["observedGeneration"] = v.status.observed_generation;
  status["replicas"] = v.status.replicas;
  status["updatedReplicas"] = v.status.updated_replicas;
  status["readyReplicas"] = v.status.ready_replicas;
  status["availableReplicas"] = v.status.available_replicas;
  status["unavailableReplicas"] = v.status.unavailable_replicas;
  put_list(status, "conditions", v.status.conditions);
  j["status"] = std::move(status);
}
void from_json(const json& j, Deployment& v) { read(j, "", v); }

void to_json(json& j, const ReplicaSet& v) {
  j = json::object();
  j["kind"] = ReplicaSet::kKind;
  j["apiVersion"] = ReplicaSet::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  spec["replicas"] = v.spec.replicas;
  put_nonzero(spec, "minReadySeconds", v.spec.min_ready_seconds);
  spec["selector"] = v.spec.selector;
  spec["template"] = v.spec.template_;
  j["spec"] = std::move(spec);
  j["status"] = {{"replicas", v.status.replicas},
                 {"fullyLabeledReplicas", v.status.fully_labeled_replicas},
                 {"readyReplicas", v.status.ready_replicas},
                 {"availableReplicas", v.status.available_replicas},
                 {"observedGeneration", v.status.observed_generation}};
}
void from_json(const json& j, ReplicaSet& v) { read(j, "", v); }

void to_json(json& j, const Event& v) {
  j = json::object();
  j["kind"] = Event::kKind;
  j["apiVersion"] = Event::kApiVersion;
  j["metadata"] = v.metadata;
  json ref = json::object();
  put(ref, "kind", v.involved_object.kind);
  put(ref, "namespace", v.involved_object.namespace_);
  put(ref, "name", v.involved_object.name);
  put(ref, "uid", v.involved_object.uid);
  put(ref, "apiVersion", v.involved_object.api_version);
  put(ref, "fieldPath", v.involved_object.field_path);
  j["involvedObject"] = std::move(ref);
  put(j, "reason", v.reason);
  put(j, "message", v.message);
  json source = json::object();
  put(source, "component", v.source.component);
  put(source, "host", v.source.host);
  j["source"] = std::move(source);
  put(j, "firstTimestamp", v.first_timestamp);
  put(j, "lastTimestamp", v.last_timestamp);
  j["count"] = v.count;
  put(j, "type", v.type);
}
void from_json(const json& j, Event& v) { read(j, "", v); }

namespace {
json base64_map(const StringMap& bytes) {
  json o = json::object();
  for (const auto& [key, value] : bytes) o[key] = base64_encode(value);
  return o;
}
}  // namespace

void to_json(json& j, const ConfigMap& v) {
  j = json::object();
  j["kind"] = ConfigMap::kKind;
  j["apiVersion"] = ConfigMap::kApiVersion;
  j["metadata"] = v.metadata;
  put(j, "data", v.data);
  if (!v.binary_data.empty()) j["binaryData"] = base64_map(v.binary_data);
  put_true(j, "immutable", v.immutable);
}
void from_json(const json& j, ConfigMap& v) { read(j, "", v); }

void to_json(json& j, const Secret& v) {
  j = json::object();
  j["kind"] = Secret::kKind;
  j["apiVersion"] = Secret::kApiVersion;
  j["metadata"] = v.metadata;
  j["type"] = v.type;
  if (!v.data.empty()) j["data"] = base64_map(v.data);
  put_true(j, "immutable", v.immutable);
}
void from_json(const json& j, Secret& v) { read(j, "", v); }

void to_json(json& j, const Node& v) {
  j = json::object();
  j["kind"] = Node::kKind;
  j["apiVersion"] = Node::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  put_true(spec, "unschedulable", v.spec.unschedulable);
  j["spec"] = std::move(spec);
  json status = json::object();
  put(status, "capacity", v.status.capacity);
  put(status, "allocatable", v.status.allocatable);
  put_list(status, "conditions", v.status.conditions);
  if (!v.status.addresses.empty()) {
    json addresses = json::array();
    for (const auto& a : v.status.addresses) {
      addresses.push_back({{"type", a.type}, {"address", a.address}});
    }
    status["addresses"] = std::move(addresses);
  }
  const auto& info = v.status.node_info;
  json node_info = json::object();
  put(node_info, "kernelVersion", info.kernel_version);
  put(node_info, "osImage", info.os_image);
  put(node_info, "operatingSystem", info.operating_system);
  put(node_info, "architecture", info.architecture);
  put(node_info, "containerRuntimeVersion", info.container_runtime_version);
  put(node_info, "kubeletVersion", info.kubelet_version);
  status["nodeInfo"] = std::move(node_info);
  j["status"] = std::move(status);
}
void from_json(const json& j, Node& v) { read(j, "", v); }

json to_json(const Object& object) {
  return std::visit([](const auto& o) { return json(o); }, object);
}

Result<Object> object_from_json(Kind kind, const json& j) {
  try {
    if (!j.is_object()) type_error("object", "object", j);
    switch (kind) {
      case Kind::kPod: {
        Pod v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kService: {
        Service v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kEndpoints: {
        Endpoints v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kDeployment: {
        Deployment v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kReplicaSet: {
        ReplicaSet v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kEvent: {
        Event v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kConfigMap: {
        ConfigMap v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kSecret: {
        Secret v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kNode: {
        Node v;
        read(j, "", v);
        return Object(std::move(v));
      }
    }
    return ApiError::bad_request("unknown kind");
  } catch (const ApiError& e) {
    return e;
  } catch (const std::exception& e) {
    return ApiError::bad_request(e.what());
  }
}

Result<Object> object_from_json(const json& j) {
  if (!j.is_object()) return ApiError::bad_request("expected a JSON object, got " + type_name(j));
  const json* kind = find(j, "kind");
  const json* api_version = find(j, "apiVersion");
  if (kind == nullptr || !kind->is_string() || kind->get<std::string>().empty()) {
    return ApiError::bad_request("Object 'Kind' is missing");
  }
  if (api_version == nullptr || !api_version->is_string()) {
    return ApiError::bad_request("Object 'apiVersion' is missing");
  }
  const std::string k = kind->get<std::string>();
  const std::string v = api_version->get<std::string>();
  for (Kind candidate : kAllKinds) {
    const KindInfo& info = kind_info(candidate);
    if (info.name == k && info.api_version == v) return object_from_json(candidate, j);
  }
  return ApiError::bad_request("no matches for kind \"" + k + "\" in version \"" + v + "\"");
}

json list_to_json(Kind kind, const std::vector<ObjectPtr>& items, uint64_t resource_version) {
  const KindInfo& info = kind_info(kind);
  json list = json::object();
  list["kind"] = std::string(info.name) + "List";
  list["apiVersion"] = std::string(info.api_version);
  list["metadata"] = {{"resourceVersion", std::to_string(resource_version)}};
  json arr = json::array();
  for (const auto& item : items) {
    if (item) arr.push_back(to_json(*item));
  }
  list["items"] = std::move(arr);
  return list;
}

json status_to_json(const ApiError& error) {
  json s = json::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = json::object();
  s["status"] = "Failure";
  s["message"] = error.message;
  s["reason"] = error.reason;
  if (!error.causes.empty()) {
    json causes = json::array();
    for (const auto& c : error.causes) {
      json cause = json::object();
      put(cause, "reason", c.reason);
      put(cause, "message", c.message);
      put(cause, "field", c.field);
      causes.push_back(std::move(cause));
    }
    s["details"] = {{"causes", std::move(causes)}};
  }
  s["code"] = error.code;
  return s;
}

json success_status_json(const std::string& message) {
  json s = json::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = json::object();
  s["status"] = "Success";
  if (!message.empty()) s["message"] = message;
  s["code"] = 200;
  return s;
}

}  // namespace skiff::config
