// Typed Kubernetes objects that skiff understands. Field names follow the Kubernetes API
// (core/v1, apps/v1) in snake_case; JSON conversion (objects_json.h) uses the API's camelCase
// names, so what `get -o json` prints is what kubectl users expect.
//
// Only the fields skiff acts on are typed. Later issues add fields here; every field has the
// Kubernetes default as its initializer, so a default-constructed object is a valid "empty" one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace skiff::config {

using StringMap = std::map<std::string, std::string>;

// IntOrString is the Kubernetes union used by targetPort, probe ports and rollout percentages.
struct IntOrString {
  bool is_int = true;
  int int_value = 0;
  std::string str_value;

  static IntOrString of(int v) { return IntOrString{true, v, {}}; }
  static IntOrString of(std::string s) { return IntOrString{false, 0, std::move(s)}; }
  bool empty() const { return is_int ? int_value == 0 : str_value.empty(); }
  bool operator==(const IntOrString&) const = default;
};

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;
  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_ = "default";
  std::string uid;
  uint64_t resource_version = 0;  // a string in JSON, as in Kubernetes
  int64_t generation = 0;
  std::string creation_timestamp;  // RFC 3339, UTC
  std::optional<std::string> deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;
  StringMap labels;
  StringMap annotations;
  std::vector<OwnerReference> owner_references;
  bool operator==(const ObjectMeta&) const = default;
};

struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

struct LabelSelector {
  StringMap match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool empty() const { return match_labels.empty() && match_expressions.empty(); }
  bool operator==(const LabelSelector&) const = default;
};

// ---- Pod -------------------------------------------------------------------------------

struct ContainerPort {
  std::string name;
  int container_port = 0;
  std::string protocol = "TCP";
  int host_port = 0;
  bool operator==(const ContainerPort&) const = default;
};

// configMapKeyRef / secretKeyRef: one key of a ConfigMap or Secret in the pod's namespace.
struct KeySelector {
  std::string name;
  std::string key;
  bool optional = false;
  bool operator==(const KeySelector&) const = default;
};

// fieldRef: metadata.name, metadata.namespace, metadata.uid, spec.nodeName, status.podIP...
struct ObjectFieldSelector {
  std::string field_path;
  std::string api_version = "v1";
  bool operator==(const ObjectFieldSelector&) const = default;
};

// resourceFieldRef: a request or limit of a container of the pod (limits.cpu, requests.memory,
// ...), divided by `divisor` and rounded up. `divisor` is a quantity as written; "" means 1.
struct ResourceFieldSelector {
  std::string container_name;  // "": the container the variable belongs to
  std::string resource;
  std::string divisor;
  bool operator==(const ResourceFieldSelector&) const = default;
};

struct EnvVarSource {
  std::optional<KeySelector> config_map_key_ref;
  std::optional<KeySelector> secret_key_ref;
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<ResourceFieldSelector> resource_field_ref;
  bool operator==(const EnvVarSource&) const = default;
};

struct EnvVar {
  std::string name;
  std::string value;
  std::optional<EnvVarSource> value_from;  // set: value is ignored
  bool operator==(const EnvVar&) const = default;
};

// A whole ConfigMap or Secret as environment variables (envFrom).
struct EnvFromRef {
  std::string name;
  bool optional = false;
  bool operator==(const EnvFromRef&) const = default;
};

struct EnvFromSource {
  std::string prefix;
  std::optional<EnvFromRef> config_map_ref;
  std::optional<EnvFromRef> secret_ref;
  bool operator==(const EnvFromSource&) const = default;
};

struct VolumeMount {
  std::string name;
  std::string mount_path;
  bool read_only = false;
  std::string sub_path;
  bool operator==(const VolumeMount&) const = default;
};

// Quantities are kept as written ("100m", "128Mi"); config/quantity.h parses them.
struct ResourceRequirements {
  StringMap requests;  // "cpu", "memory"
  StringMap limits;
  bool operator==(const ResourceRequirements&) const = default;
};

struct ExecAction {
  std::vector<std::string> command;
  bool operator==(const ExecAction&) const = default;
};

struct HTTPGetAction {
  std::string path = "/";
  IntOrString port;
  std::string host;  // empty: the pod IP
  std::string scheme = "HTTP";
  std::vector<std::pair<std::string, std::string>> http_headers;
  bool operator==(const HTTPGetAction&) const = default;
};

struct TCPSocketAction {
  IntOrString port;
  std::string host;
  bool operator==(const TCPSocketAction&) const = default;
};

struct Probe {
  std::optional<ExecAction> exec;
  std::optional<HTTPGetAction> http_get;
  std::optional<TCPSocketAction> tcp_socket;
  int initial_delay_seconds = 0;
  int timeout_seconds = 1;
  int period_seconds = 10;
  int success_threshold = 1;
  int failure_threshold = 3;
  bool operator==(const Probe&) const = default;
};

struct Container {
  std::string name;
  std::string image;
  std::string image_pull_policy;  // Always, IfNotPresent, Never; empty: defaulted as Kubernetes
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvVar> env;
  std::vector<EnvFromSource> env_from;
  std::vector<VolumeMount> volume_mounts;
  ResourceRequirements resources;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> startup_probe;
  bool operator==(const Container&) const = default;
};

// ---- Volumes ---------------------------------------------------------------------------

struct EmptyDirVolumeSource {
  std::string medium;      // "" (the node's disk) or "Memory" (tmpfs)
  std::string size_limit;  // a quantity, "" for none
  bool operator==(const EmptyDirVolumeSource&) const = default;
};

struct HostPathVolumeSource {
  std::string path;
  std::string type;  // "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, ...
  bool operator==(const HostPathVolumeSource&) const = default;
};

struct KeyToPath {
  std::string key;
  std::string path;
  std::optional<int> mode;
  bool operator==(const KeyToPath&) const = default;
};

// configMap and secret volumes: the object's keys (or the listed items) projected as files.
struct ConfigMapVolumeSource {
  std::string name;
  std::vector<KeyToPath> items;
  int default_mode = 0644;
  bool optional = false;
  bool operator==(const ConfigMapVolumeSource&) const = default;
};

struct SecretVolumeSource {
  std::string secret_name;
  std::vector<KeyToPath> items;
  int default_mode = 0644;
  bool optional = false;
  bool operator==(const SecretVolumeSource&) const = default;
};

// Exactly one source is set (validation checks).
struct Volume {
  std::string name;
  std::optional<EmptyDirVolumeSource> empty_dir;
  std::optional<HostPathVolumeSource> host_path;
  std::optional<ConfigMapVolumeSource> config_map;
  std::optional<SecretVolumeSource> secret;
  bool operator==(const Volume&) const = default;
};

struct PodSpec {
  std::vector<Container> containers;
  std::vector<Volume> volumes;
  std::string restart_policy = "Always";  // Always, OnFailure, Never
  int64_t termination_grace_period_seconds = 30;
  std::string node_name;
  std::string hostname;
  std::string subdomain;
  bool operator==(const PodSpec&) const = default;
};

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
  bool operator==(const PodTemplateSpec&) const = default;
};

// Exactly one of waiting / running / terminated is set, as in Kubernetes.
struct ContainerStateWaiting {
  std::string reason;  // ContainerCreating, CrashLoopBackOff, ErrImageNeverPull, ...
  std::string message;
  bool operator==(const ContainerStateWaiting&) const = default;
};
struct ContainerStateRunning {
  std::string started_at;
  bool operator==(const ContainerStateRunning&) const = default;
};
struct ContainerStateTerminated {
  int exit_code = 0;
  int signal = 0;
  std::string reason;  // Completed, Error, OOMKilled
  std::string message;
  std::string started_at;
  std::string finished_at;
  std::string container_id;
  bool operator==(const ContainerStateTerminated&) const = default;
};
struct ContainerState {
  std::optional<ContainerStateWaiting> waiting;
  std::optional<ContainerStateRunning> running;
  std::optional<ContainerStateTerminated> terminated;
  bool operator==(const ContainerState&) const = default;
};

struct ContainerStatus {
  std::string name;
  ContainerState state;
  ContainerState last_state;
  bool ready = false;
  bool started = false;
  int restart_count = 0;
  std::string image;
  std::string image_id;
  std::string container_id;  // "<engine>://<id>"
  bool operator==(const ContainerStatus&) const = default;
};

struct Condition {
  std::string type;    // PodScheduled, Initialized, ContainersReady, Ready; Available, Progressing
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  std::string last_transition_time;
  std::string last_update_time;  // Deployment conditions only
  bool operator==(const Condition&) const = default;
};

struct PodStatus {
  std::string phase = "Pending";  // Pending, Running, Succeeded, Failed, Unknown
  std::vector<Condition> conditions;
  std::vector<ContainerStatus> container_statuses;
  std::string host_ip;
  std::string pod_ip;
  std::vector<std::string> pod_ips;
  std::string start_time;
  std::string reason;
  std::string message;
  bool operator==(const PodStatus&) const = default;
};

struct Pod {
  static constexpr const char* kKind = "Pod";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  PodSpec spec;
  PodStatus status;
  bool operator==(const Pod&) const = default;
};

// ---- Service and Endpoints ------------------------------------------------------------

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int port = 0;
  IntOrString target_port;  // empty: same as port
  int node_port = 0;
  bool operator==(const ServicePort&) const = default;
};

struct ServiceSpec {
  std::string type = "ClusterIP";  // ClusterIP, NodePort, LoadBalancer, ExternalName
  StringMap selector;              // empty: a selector-less Service (user-managed Endpoints)
  std::vector<ServicePort> ports;
  std::string cluster_ip;  // "" (allocate), "None" (headless), or an address
  std::vector<std::string> cluster_ips;
  std::vector<std::string> external_ips;
  std::string external_name;
  std::string session_affinity = "None";  // None, ClientIP
  int session_affinity_timeout_seconds = 10800;
  bool publish_not_ready_addresses = false;
  bool operator==(const ServiceSpec&) const = default;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  bool operator==(const LoadBalancerIngress&) const = default;
};

struct ServiceStatus {
  std::vector<LoadBalancerIngress> load_balancer_ingress;
  bool operator==(const ServiceStatus&) const = default;
};

struct Service {
  static constexpr const char* kKind = "Service";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  ServiceSpec spec;
  ServiceStatus status;
  bool operator==(const Service&) const = default;
};

struct ObjectReference {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string api_version = {};  // Events name the object's group: "apps/v1"
  std::string field_path = {};   // Events about a container: "spec.containers{web}"
  bool operator==(const ObjectReference&) const = default;
};

struct EndpointAddress {
  std::string ip;
  std::string hostname;
  std::string node_name;
  std::optional<ObjectReference> target_ref;
  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointPort {
  std::string name;
  int port = 0;
  std::string protocol = "TCP";
  bool operator==(const EndpointPort&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
  bool operator==(const EndpointSubset&) const = default;
};

struct Endpoints {
  static constexpr const char* kKind = "Endpoints";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  std::vector<EndpointSubset> subsets;
  bool operator==(const Endpoints&) const = default;
};

// ---- ReplicaSet and Deployment --------------------------------------------------------

struct ReplicaSetSpec {
  int replicas = 1;
  int min_ready_seconds = 0;
  LabelSelector selector;
  PodTemplateSpec template_;
  bool operator==(const ReplicaSetSpec&) const = default;
};

struct ReplicaSetStatus {
  int replicas = 0;
  int fully_labeled_replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  int64_t observed_generation = 0;
  bool operator==(const ReplicaSetStatus&) const = default;
};

struct ReplicaSet {
  static constexpr const char* kKind = "ReplicaSet";
  static constexpr const char* kApiVersion = "apps/v1";
  ObjectMeta metadata;
  ReplicaSetSpec spec;
  ReplicaSetStatus status;
  bool operator==(const ReplicaSet&) const = default;
};

struct DeploymentStrategy {
  std::string type = "RollingUpdate";  // RollingUpdate, Recreate
  IntOrString max_surge = IntOrString::of("25%");
  IntOrString max_unavailable = IntOrString::of("25%");
  bool operator==(const DeploymentStrategy&) const = default;
};

struct DeploymentSpec {
  int replicas = 1;
  LabelSelector selector;
  PodTemplateSpec template_;
  DeploymentStrategy strategy;
  int min_ready_seconds = 0;
  int revision_history_limit = 10;
  int progress_deadline_seconds = 600;
  bool paused = false;
  bool operator==(const DeploymentSpec&) const = default;
};

struct DeploymentStatus {
  int64_t observed_generation = 0;
  int replicas = 0;
  int updated_replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  int unavailable_replicas = 0;
  std::vector<Condition> conditions;
  bool operator==(const DeploymentStatus&) const = default;
};

struct Deployment {
  static constexpr const char* kKind = "Deployment";
  static constexpr const char* kApiVersion = "apps/v1";
  ObjectMeta metadata;
  DeploymentSpec spec;
  DeploymentStatus status;
  bool operator==(const Deployment&) const = default;
};

// ---- Event ------------------------------------------------------------------------------

struct EventSource {
  std::string component;  // "kubelet", "deployment-controller", "replicaset-controller"
  std::string host;
  bool operator==(const EventSource&) const = default;
};

// core/v1 Event: something that happened to an object, as `get events` and `describe` show it.
// The daemon's recorder (controller/event_recorder.h) writes them, counting repeats; the store
// keeps them like any object (no spec, no status).
struct Event {
  static constexpr const char* kKind = "Event";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  ObjectReference involved_object;
  std::string reason;  // ScalingReplicaSet, SuccessfulCreate, Started, BackOff, ...
  std::string message;
  EventSource source;
  std::string first_timestamp;  // RFC 3339
  std::string last_timestamp;
  int count = 1;
  std::string type = "Normal";  // Normal, Warning
  bool operator==(const Event&) const = default;
};

// ---- ConfigMap, Secret, Node ------------------------------------------------------------

struct ConfigMap {
  static constexpr const char* kKind = "ConfigMap";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  StringMap data;
  StringMap binary_data;  // decoded bytes; base64 in JSON
  bool immutable = false;
  bool operator==(const ConfigMap&) const = default;
};

// data holds the decoded bytes (base64 only on the wire). stringData is write-only, as in
// Kubernetes: the API server merges it into data on create/update and never returns it.
struct Secret {
  static constexpr const char* kKind = "Secret";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  std::string type = "Opaque";
  StringMap data;
  StringMap string_data;
  bool immutable = false;
  bool operator==(const Secret&) const = default;
};

struct NodeAddress {
  std::string type;  // InternalIP, Hostname
  std::string address;
  bool operator==(const NodeAddress&) const = default;
};

struct NodeSystemInfo {
  std::string kernel_version;
  std::string os_image;
  std::string operating_system = "linux";
  std::string architecture;
  std::string container_runtime_version;  // "process://skiff", "docker://20.10.24"
  std::string kubelet_version;
  bool operator==(const NodeSystemInfo&) const = default;
};

struct NodeSpec {
  bool unschedulable = false;
  bool operator==(const NodeSpec&) const = default;
};

struct NodeStatus {
  StringMap capacity;     // cpu, memory, pods (quantities)
  StringMap allocatable;  // capacity minus the system reserve
  std::vector<Condition> conditions;
  std::vector<NodeAddress> addresses;
  NodeSystemInfo node_info;
  bool operator==(const NodeStatus&) const = default;
};

// Cluster-scoped: metadata.namespace_ is "".
struct Node {
  static constexpr const char* kKind = "Node";
  static constexpr const char* kApiVersion = "v1";
  ObjectMeta metadata;
  NodeSpec spec;
  NodeStatus status;
  bool operator==(const Node&) const = default;
};

// ---- The union the store, API and loader pass around -----------------------------------

using Object =
    std::variant<Pod, Service, Endpoints, Deployment, ReplicaSet, Event, ConfigMap, Secret, Node>;
using ObjectPtr = std::shared_ptr<const Object>;

// In the variant's order: kind_of() is the variant index.
enum class Kind {
  kPod,
  kService,
  kEndpoints,
  kDeployment,
  kReplicaSet,
  kEvent,
  kConfigMap,
  kSecret,
  kNode
};
inline constexpr Kind kAllKinds[] = {Kind::kPod,        Kind::kService,    Kind::kEndpoints,
                                     Kind::kDeployment, Kind::kReplicaSet, Kind::kEvent,
                                     Kind::kConfigMap,  Kind::kSecret,     Kind::kNode};

inline Kind kind_of(const Object& o) { return static_cast<Kind>(o.index()); }
inline const ObjectMeta& meta(const Object& o) {
  return std::visit([](const auto& x) -> const ObjectMeta& { return x.metadata; }, o);
}
inline ObjectMeta& meta(Object& o) {
  return std::visit([](auto& x) -> ObjectMeta& { return x.metadata; }, o);
}

}  // namespace skiff::config
