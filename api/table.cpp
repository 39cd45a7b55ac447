#include "api/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <sstream>
#include <string_view>

#include "config/labels.h"

namespace skiff::api {
namespace {

using config::Kind;

// The descriptions the API server takes from the API types' documentation.
constexpr const char* kNameDoc =
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
constexpr const char* kAgeDoc =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";
constexpr const char* kContainersDoc = "Names of each container in the template.";
constexpr const char* kImagesDoc = "Images referenced by each container in the template.";
constexpr const char* kSelectorDoc =
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
    "the ones affected by this deployment. It must match the pod template's labels.";

TableColumn name_column() { return {"Name", "string", "name", kNameDoc, 0}; }
TableColumn age_column() { return {"Age", "string", "", kAgeDoc, 0}; }
TableColumn text(const char* name, const char* doc, int priority = 0) {
  return {name, "string", "", doc, priority};
}
TableColumn integer(const char* name, const char* doc) { return {name, "integer", "", doc, 0}; }

std::vector<TableColumn> pod_columns() {
  TableColumn nominated = text(
      "Nominated Node",
      "nominatedNodeName is set only when this pod preempts other pods on the node, but it "
      "cannot be scheduled right away as preemption victims receive their graceful termination "
      "periods.",
      1);
  TableColumn gates = text("Readiness Gates",
                           "If specified, all readiness gates will be evaluated for pod "
                           "readiness. More info: https://git.k8s.io/enhancements/keps/"
                           "sig-network/580-pod-readiness-gates",
                           1);
  nominated.in_skiff_get = gates.in_skiff_get = false;
  return {name_column(),
          text("Ready", "The aggregate readiness state of this pod for accepting traffic."),
          text("Status", "The aggregate status of the containers in this pod."),
          text("Restarts",
               "The number of times the containers in this pod have been restarted and when the "
               "last container in this pod has restarted."),
          age_column(),
          text("IP",
               "podIP address allocated to the pod. Routable at least within the cluster. Empty "
               "if not yet allocated.",
               1),
          text("Node",
               "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
               "candidate for preemption by the scheduler.",
               1),
          nominated,
          gates};
}

std::vector<TableColumn> service_columns() {
  return {name_column(),
          text("Type", "The type of the service."),
          text("Cluster-IP", "The cluster IP of the service."),
          text("External-IP", "The external IP of the service."),
          text("Port(s)", "The ports of the service."),
          age_column(),
          text("Selector",
               "Route service traffic to pods with label keys and values matching this "
               "selector. If empty or not present, the service is assumed to have an external "
               "process managing its endpoints, which Kubernetes will not modify.",
               1)};
}

std::vector<TableColumn> endpoints_columns() {
  return {name_column(),
          text("Endpoints",
               "The set of all endpoints is the union of all subsets. Addresses are placed into "
               "subsets according to the IPs they share."),
          age_column()};
}

std::vector<TableColumn> deployment_columns() {
  return {name_column(),
          text("Ready", "Number of the pod with ready state"),
          text("Up-to-date",
               "Total number of non-terminated pods targeted by this deployment that have the "
               "desired template spec."),
          text("Available",
               "Total number of available pods (ready for at least minReadySeconds) targeted by "
               "this deployment."),
          age_column(),
          text("Containers", kContainersDoc, 1),
          text("Images", kImagesDoc, 1),
          text("Selector", kSelectorDoc, 1)};
}

std::vector<TableColumn> replicaset_columns() {
  return {name_column(),
          integer("Desired",
                  "Replicas is the number of desired replicas. This is a pointer to distinguish "
                  "between explicit zero and unspecified. Defaults to 1."),
          integer("Current", "Replicas is the most recently observed number of replicas."),
          integer("Ready", "The number of ready replicas for this replica set."),
          age_column(),
          text("Containers", kContainersDoc, 1),
          text("Images", kImagesDoc, 1),
          text("Selector",
               "Selector is a label query over pods that should match the replica count. Label "
               "keys and values that must match in order to be controlled by this replica set.",
               1)};
}

std::vector<TableColumn> event_columns() {
  TableColumn name = name_column();
  name.priority = 1;
  return {
      text("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
      text("Type",
           "Type of this event (Normal, Warning), new types could be added in the "
           "future"),
      text("Reason",
           "This should be a short, machine understandable string that gives the reason for "
           "the transition into the object's current status."),
      text("Object", "The object that this event is about."),
      text("Subobject",
           "If referring to a piece of an object instead of an entire object, this string "
           "should contain a valid JSON/Go field access statement, such as "
           "desiredState.manifest.containers[2].",
           1),
      text("Source",
           "The component reporting this event. Should be a short machine "
           "understandable string.",
           1),
      text("Message", "A human-readable description of the status of this operation."),
      text("First Seen",
           "The time at which the event was first recorded. (Time of server receipt is in "
           "TypeMeta.)",
           1),
      text("Count", "The number of times this event has occurred.", 1),
      name};
}

std::vector<TableColumn> config_map_columns() {
  return {name_column(),
          text("Data",
               "Data contains the configuration data. Each key must consist of alphanumeric "
               "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the "
               "BinaryData field."),
          age_column()};
}

std::vector<TableColumn> secret_columns() {
  return {name_column(), text("Type", "Used to facilitate programmatic handling of secret data."),
          text("Data",
               "Data contains the secret data. Each key must consist of alphanumeric "
               "characters, '-', '_' or '.'."),
          age_column()};
}

std::vector<TableColumn> node_columns() {
  return {
      name_column(),
      text("Status", "The status of the node"),
      text("Roles", "The roles of the node"),
      age_column(),
      text("Version", "Kubelet Version reported by the node."),
      text("Internal-IP", "List of addresses reachable to the node.", 1),
      text("External-IP", "List of addresses reachable to the node.", 1),
      text("OS-Image",
           "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
           "(wheezy)).",
           1),
      text("Kernel-Version",
           "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      text("Container-Runtime",
           "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
           "containerd://1.4.2).",
           1)};
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

TableRow pod_row(const config::Pod& pod, std::time_t now) {
  int64_t ready = 0;
  int64_t restarts = 0;
  for (const auto& cs : pod.status.container_statuses) {
    ready += cs.ready ? 1 : 0;
    restarts += cs.restart_count;
  }
  // RESTARTS is a string column (the API server adds "(5m ago)" when it knows the time).
  return {TableCell::of(pod.metadata.name),
          TableCell::of(fmt::format("{}/{}", ready, pod.spec.containers.size())),
          TableCell::of(pod_status_reason(pod)),
          TableCell::of(std::to_string(restarts)),
          TableCell::of(age(pod.metadata.creation_timestamp, now)),
          TableCell::of(or_none(pod.status.pod_ip)),
          TableCell::of(or_none(pod.spec.node_name)),
          TableCell::of("<none>"),   // nominated node: skiff's scheduler never preempts
          TableCell::of("<none>")};  // readiness gates: not supported
}

std::string service_ports(const config::Service& svc) {
  std::vector<std::string> parts;
  for (const auto& p : svc.spec.ports) {
    parts.push_back(p.node_port ? fmt::format("{}:{}/{}", p.port, p.node_port, p.protocol)
                                : fmt::format("{}/{}", p.port, p.protocol));
  }
  return parts.empty() ? "<none>" : join(parts, ",");
}

std::string external_ip(const config::Service& svc) {
  std::vector<std::string> ips = svc.spec.external_ips;
  for (const auto& in : svc.status.load_balancer_ingress)
    ips.push_back(in.ip.empty() ? in.hostname : in.ip);
  if (svc.spec.type == "ExternalName") return svc.spec.external_name;
  if (ips.empty()) return svc.spec.type == "LoadBalancer" ? "<pending>" : "<none>";
  return join(ips, ",");
}

TableRow service_row(const config::Service& svc, std::time_t now) {
  return {TableCell::of(svc.metadata.name),
          TableCell::of(svc.spec.type),
          TableCell::of(or_none(svc.spec.cluster_ip)),
          TableCell::of(external_ip(svc)),
          TableCell::of(service_ports(svc)),
          TableCell::of(age(svc.metadata.creation_timestamp, now)),
          TableCell::of(or_none(config::labels_to_string(svc.spec.selector)))};
}

TableRow endpoints_row(const config::Endpoints& ep, std::time_t now, bool all_endpoints) {
  std::vector<std::string> all;
  for (const auto& subset : ep.subsets) {
    for (const auto& a : subset.addresses) {
      if (subset.ports.empty()) all.push_back(a.ip);
      for (const auto& p : subset.ports) all.push_back(fmt::format("{}:{}", a.ip, p.port));
    }
  }
  std::string shown;
  if (all.empty()) {
    shown = "<none>";
  } else if (all_endpoints || all.size() <= 3) {
    shown = join(all, ",");
  } else {
    shown = join({all[0], all[1], all[2]}, ",") + fmt::format(" + {} more...", all.size() - 3);
  }
  return {TableCell::of(ep.metadata.name), TableCell::of(shown),
          TableCell::of(age(ep.metadata.creation_timestamp, now))};
}

std::string containers_of(const config::PodSpec& spec) {
  std::vector<std::string> names;
  for (const auto& c : spec.containers) names.push_back(c.name);
  return join(names, ",");
}

std::string images_of(const config::PodSpec& spec) {
  std::vector<std::string> images;
  for (const auto& c : spec.containers) images.push_back(c.image);
  return join(images, ",");
}

// UP-TO-DATE and AVAILABLE are string columns whose cells are integers, as the API server has
// them.
TableRow deployment_row(const config::Deployment& d, std::time_t now) {
  return {TableCell::of(d.metadata.name),
          TableCell::of(fmt::format("{}/{}", d.status.ready_replicas, d.spec.replicas)),
          TableCell::of(int64_t{d.status.updated_replicas}),
          TableCell::of(int64_t{d.status.available_replicas}),
          TableCell::of(age(d.metadata.creation_timestamp, now)),
          TableCell::of(containers_of(d.spec.template_.spec)),
          TableCell::of(images_of(d.spec.template_.spec)),
          TableCell::of(config::selector_to_string(d.spec.selector))};
}

TableRow replicaset_row(const config::ReplicaSet& rs, std::time_t now) {
  return {TableCell::of(rs.metadata.name),
          TableCell::of(int64_t{rs.spec.replicas}),
          TableCell::of(int64_t{rs.status.replicas}),
          TableCell::of(int64_t{rs.status.ready_replicas}),
          TableCell::of(age(rs.metadata.creation_timestamp, now)),
          TableCell::of(containers_of(rs.spec.template_.spec)),
          TableCell::of(images_of(rs.spec.template_.spec)),
          TableCell::of(config::selector_to_string(rs.spec.selector))};
}

// DATA counts keys, as kubectl: a ConfigMap's data and binaryData, a Secret's data.
TableRow config_map_row(const config::ConfigMap& cm, std::time_t now) {
  return {TableCell::of(cm.metadata.name),
          TableCell::of(static_cast<int64_t>(cm.data.size() + cm.binary_data.size())),
          TableCell::of(age(cm.metadata.creation_timestamp, now))};
}

TableRow secret_row(const config::Secret& s, std::time_t now) {
  return {TableCell::of(s.metadata.name), TableCell::of(s.type),
          TableCell::of(static_cast<int64_t>(s.data.size())),
          TableCell::of(age(s.metadata.creation_timestamp, now))};
}

TableRow event_row(const config::Event& e, std::time_t now) {
  return {TableCell::of(event_interval(e, now, true)),
          TableCell::of(e.type),
          TableCell::of(e.reason),
          TableCell::of(event_object(e)),
          TableCell::of(e.involved_object.field_path),
          TableCell::of(e.source.component + (e.source.host.empty() ? "" : ", " + e.source.host)),
          TableCell::of(e.message),
          TableCell::of(age(e.first_timestamp, now)),
          TableCell::of(int64_t{e.count}),
          TableCell::of(e.metadata.name)};
}

std::string node_address(const config::Node& node, const std::string& type) {
  for (const auto& a : node.status.addresses) {
    if (a.type == type) return a.address;
  }
  return "<none>";
}

TableRow node_row(const config::Node& node, std::time_t now) {
  const auto& info = node.status.node_info;
  return {TableCell::of(node.metadata.name),
          TableCell::of(node_status(node)),
          TableCell::of(node_roles(node)),
          TableCell::of(age(node.metadata.creation_timestamp, now)),
          TableCell::of(or_none(info.kubelet_version)),
          TableCell::of(node_address(node, "InternalIP")),
          TableCell::of(node_address(node, "ExternalIP")),
          TableCell::of(or_none(info.os_image)),
          TableCell::of(or_none(info.kernel_version)),
          TableCell::of(or_none(info.container_runtime_version))};
}

}  // namespace

const std::vector<TableColumn>& table_columns(Kind kind) {
  static const std::vector<TableColumn> kPod = pod_columns(), kService = service_columns(),
                                        kEndpoints = endpoints_columns(),
                                        kDeployment = deployment_columns(),
                                        kReplicaSet = replicaset_columns(),
                                        kEvent = event_columns(), kConfigMap = config_map_columns(),
                                        kSecret = secret_columns(), kNode = node_columns();
  switch (kind) {
    case Kind::kPod:
      return kPod;
    case Kind::kService:
      return kService;
    case Kind::kEndpoints:
      return kEndpoints;
    case Kind::kDeployment:
      return kDeployment;
    case Kind::kReplicaSet:
      return kReplicaSet;
    case Kind::kEvent:
      return kEvent;
    case Kind::kConfigMap:
      return kConfigMap;
    case Kind::kSecret:
      return kSecret;
    case Kind::kNode:
      return kNode;
  }
  return kPod;  // unreachable: every kind is listed
}

TableRow table_row(const config::Object& object, std::time_t now, const RowOptions& options) {
  return std::visit(
      [&](const auto& x) -> TableRow {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, config::Pod>) return pod_row(x, now);
        if constexpr (std::is_same_v<T, config::Service>) return service_row(x, now);
        if constexpr (std::is_same_v<T, config::Endpoints>) {
          return endpoints_row(x, now, options.all_endpoints);
        }
        if constexpr (std::is_same_v<T, config::Deployment>) return deployment_row(x, now);
        if constexpr (std::is_same_v<T, config::ReplicaSet>) return replicaset_row(x, now);
        if constexpr (std::is_same_v<T, config::Event>) return event_row(x, now);
        if constexpr (std::is_same_v<T, config::ConfigMap>) return config_map_row(x, now);
        if constexpr (std::is_same_v<T, config::Secret>) return secret_row(x, now);
        if constexpr (std::is_same_v<T, config::Node>) return node_row(x, now);
      },
      object);
}

std::string human_duration(std::time_t s) {
  if (s < 0) s = 0;
  const std::time_t m = s / 60, h = s / 3600, d = s / 86400;
  if (s < 120) return fmt::format("{}s", s);
  if (m < 10) return s % 60 ? fmt::format("{}m{}s", m, s % 60) : fmt::format("{}m", m);
  if (m < 180) return fmt::format("{}m", m);
  if (h < 8) return m % 60 ? fmt::format("{}h{}m", h, m % 60) : fmt::format("{}h", h);
  if (h < 48) return fmt::format("{}h", h);
  if (d < 8) return h % 24 ? fmt::format("{}d{}h", d, h % 24) : fmt::format("{}d", d);
  if (d < 730) return fmt::format("{}d", d);
  return fmt::format("{}y", d / 365);
}

std::time_t parse_rfc3339(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return -1;
  return timegm(&tm);
}

std::string age(const std::string& rfc3339, std::time_t now) {
  const std::time_t t = parse_rfc3339(rfc3339);
  return t < 0 ? "<unknown>" : human_duration(now - t);
}

std::string pod_status_reason(const config::Pod& pod) {
  if (pod.metadata.deletion_timestamp) return "Terminating";
  std::string reason = pod.status.reason.empty() ? pod.status.phase : pod.status.reason;
  bool running = false;
  for (auto it = pod.status.container_statuses.rbegin(); it != pod.status.container_statuses.rend();
       ++it) {
    const auto& s = it->state;
    if (s.waiting && !s.waiting->reason.empty()) {
      reason = s.waiting->reason;
    } else if (s.terminated && !s.terminated->reason.empty()) {
      reason = s.terminated->reason;
    } else if (s.terminated) {
      reason = s.terminated->signal ? fmt::format("Signal:{}", s.terminated->signal)
                                    : fmt::format("ExitCode:{}", s.terminated->exit_code);
    } else if (s.running && it->ready) {
      running = true;
    }
  }
  if (reason == "Completed" && running) reason = "Running";
  return reason;
}

std::string node_roles(const config::Node& node) {
  std::vector<std::string> roles;
  constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
  for (const auto& [k, v] : node.metadata.labels) {
    if (k.starts_with(kPrefix) && k.size() > kPrefix.size()) {
      roles.push_back(k.substr(kPrefix.size()));
    } else if (k == "kubernetes.io/role" && !v.empty()) {
      roles.push_back(v);
    }
  }
  return or_none(join(roles, ","));
}

std::string node_status(const config::Node& node) {
  std::string status = "Unknown";
  for (const auto& c : node.status.conditions) {
    if (c.type == "Ready") status = c.status == "True" ? "Ready" : "NotReady";
  }
  if (node.spec.unschedulable) status += ",SchedulingDisabled";
  return status;
}

std::string event_interval(const config::Event& e, std::time_t now, bool last) {
  const std::string& last_seen = e.last_timestamp.empty() ? e.first_timestamp : e.last_timestamp;
  const std::string& first_seen = e.first_timestamp.empty() ? last_seen : e.first_timestamp;
  if (e.count > 1) {
    return fmt::format("{} (x{} over {})", age(last_seen, now), e.count, age(first_seen, now));
  }
  return age(last ? last_seen : first_seen, now);
}

std::string event_object(const config::Event& e) {
  std::string kind = e.involved_object.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return kind + "/" + e.involved_object.name;
}

}  // namespace skiff::api
