#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

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

}  // namespace json_detail

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

}  // namespace skiff::config
