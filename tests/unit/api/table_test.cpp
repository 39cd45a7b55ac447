#include "api/table.h"

#include <catch2/catch.hpp>
#include <memory>

#include "api/table_json.h"
#include "api/watch_filter.h"

using namespace skiff;
using api::IncludeObject;
using api::TableRequest;
using nlohmann::json;

namespace {

// 2026-01-01T00:00:00Z plus 5 minutes.
constexpr std::time_t kNow = 1767225600 + 300;
constexpr const char* kCreated = "2026-01-01T00:00:00Z";

config::Pod running_pod() {
  config::Pod pod;
  pod.metadata.name = "web-1";
  pod.metadata.namespace_ = "default";
  pod.metadata.labels = {{"app", "web"}};
  pod.metadata.creation_timestamp = kCreated;
  pod.metadata.resource_version = 7;
  config::Container c;
  c.name = "main";
  c.image = "host/sh";
  pod.spec.containers = {c};
  pod.spec.node_name = "skiff";
  pod.status.phase = "Running";
  pod.status.pod_ip = "10.0.0.5";
  config::ContainerStatus cs;
  cs.name = "main";
  cs.ready = true;
  cs.restart_count = 2;
  cs.state.running = config::ContainerStateRunning{};
  pod.status.container_statuses = {cs};
  return pod;
}

std::vector<std::string> names(const std::vector<api::TableColumn>& columns) {
  std::vector<std::string> out;
  for (const auto& c : columns) out.push_back(c.name);
  return out;
}

std::vector<int> priorities(const std::vector<api::TableColumn>& columns) {
  std::vector<int> out;
  for (const auto& c : columns) out.push_back(c.priority);
  return out;
}

std::vector<std::string> texts(const api::TableRow& row) {
  std::vector<std::string> out;
  for (const auto& c : row) out.push_back(c.text);
  return out;
}

json table_of(const config::Object& object, TableRequest request = {}) {
  return api::table_json(config::kind_of(object), {std::make_shared<const config::Object>(object)},
                         "42", request, kNow);
}

}  // namespace

TEST_CASE("pod columns and cells are the API server's", "[table]") {
  const auto& columns = api::table_columns(config::Kind::kPod);
  CHECK(names(columns) == std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age",
                                                   "IP", "Node", "Nominated Node",
                                                   "Readiness Gates"});
  CHECK(priorities(columns) == std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1});
  CHECK(columns[0].format == "name");
  for (size_t i = 1; i < columns.size(); ++i) CHECK(columns[i].format.empty());
  for (const auto& c : columns) CHECK_FALSE(c.description.empty());

  auto row = api::table_row(running_pod(), kNow);
  CHECK(texts(row) == std::vector<std::string>{"web-1", "1/1", "Running", "2", "5m", "10.0.0.5",
                                               "skiff", "<none>", "<none>"});
  // RESTARTS is a string column in the API server (it may read "2 (5m ago)").
  CHECK_FALSE(row[3].integer);
}

TEST_CASE("every kind has one cell per column", "[table]") {
  config::Service svc;
  svc.metadata.name = "web";
  svc.spec.type = "ClusterIP";
  svc.spec.cluster_ip = "10.96.0.10";
  config::Endpoints ep;
  ep.metadata.name = "web";
  config::Deployment d;
  d.metadata.name = "web";
  config::ReplicaSet rs;
  rs.metadata.name = "web-1";
  config::Event e;
  e.metadata.name = "web.1";
  config::ConfigMap cm;
  cm.metadata.name = "cfg";
  config::Secret s;
  s.metadata.name = "pw";
  config::Node n;
  n.metadata.name = "skiff";
  const std::vector<config::Object> objects{running_pod(), svc, ep, d, rs, e, cm, s, n};
  for (const auto& o : objects) {
    INFO(static_cast<int>(config::kind_of(o)));
    const auto& columns = api::table_columns(config::kind_of(o));
    CHECK(api::table_row(o, kNow).size() == columns.size());
    CHECK(std::count_if(columns.begin(), columns.end(),
                        [](const auto& c) { return c.format == "name"; }) == 1);
  }
}

TEST_CASE("service, endpoints and node columns", "[table]") {
  CHECK(names(api::table_columns(config::Kind::kService)) ==
        std::vector<std::string>{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age",
                                 "Selector"});
  CHECK(priorities(api::table_columns(config::Kind::kService)) ==
        std::vector<int>{0, 0, 0, 0, 0, 0, 1});
  config::Service svc;
  svc.metadata.name = "web";
  svc.metadata.creation_timestamp = kCreated;
  svc.spec.type = "NodePort";
  svc.spec.cluster_ip = "10.96.0.10";
  svc.spec.selector = {{"app", "web"}};
  config::ServicePort p;
  p.port = 80;
  p.node_port = 30080;
  p.protocol = "TCP";
  svc.spec.ports = {p};
  CHECK(texts(api::table_row(svc, kNow)) ==
        std::vector<std::string>{"web", "NodePort", "10.96.0.10", "<none>", "80:30080/TCP", "5m",
                                 "app=web"});

  CHECK(names(api::table_columns(config::Kind::kEndpoints)) ==
        std::vector<std::string>{"Name", "Endpoints", "Age"});
  config::Endpoints ep;
  ep.metadata.name = "web";
  config::EndpointSubset subset;
  for (const char* ip : {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}) {
    config::EndpointAddress a;
    a.ip = ip;
    subset.addresses.push_back(a);
  }
  config::EndpointPort port;
  port.port = 8080;
  subset.ports = {port};
  ep.subsets = {subset};
  // The API server shows three and counts the rest; skiff get -o wide asks for all.
  CHECK(api::table_row(ep, kNow)[1].text ==
        "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...");
  CHECK(api::table_row(ep, kNow, {.all_endpoints = true})[1].text ==
        "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080,10.0.0.4:8080");

  CHECK(names(api::table_columns(config::Kind::kNode)) ==
        std::vector<std::string>{"Name", "Status", "Roles", "Age", "Version", "Internal-IP",
                                 "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime"});
  CHECK(priorities(api::table_columns(config::Kind::kNode)) ==
        std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1, 1, 1});
  config::Node n;
  n.metadata.name = "skiff";
  n.metadata.labels = {{"node-role.kubernetes.io/control-plane", ""}};
  config::Condition ready;
  ready.type = "Ready";
  ready.status = "True";
  n.status.conditions = {ready};
  n.spec.unschedulable = true;
  auto row = texts(api::table_row(n, kNow));
  CHECK(row[1] == "Ready,SchedulingDisabled");
  CHECK(row[2] == "control-plane");
  CHECK(row[5] == "<none>");
}

TEST_CASE("workload columns carry integers as the API server does", "[table]") {
  CHECK(names(api::table_columns(config::Kind::kDeployment)) ==
        std::vector<std::string>{"Name", "Ready", "Up-to-date", "Available", "Age", "Containers",
                                 "Images", "Selector"});
  CHECK(priorities(api::table_columns(config::Kind::kDeployment)) ==
        std::vector<int>{0, 0, 0, 0, 0, 1, 1, 1});
  config::Deployment d;
  d.metadata.name = "web";
  d.metadata.creation_timestamp = kCreated;
  d.spec.replicas = 3;
  d.spec.selector.match_labels = {{"app", "web"}};
  config::Container c;
  c.name = "main";
  c.image = "host/sh";
  d.spec.template_.spec.containers = {c};
  d.status.ready_replicas = 2;
  d.status.updated_replicas = 3;
  d.status.available_replicas = 2;
  json t = table_of(d);
  CHECK(t["rows"][0]["cells"] ==
        json::parse(R"(["web","2/3",3,2,"5m","main","host/sh","app=web"])"));

  const auto& rs_columns = api::table_columns(config::Kind::kReplicaSet);
  CHECK(names(rs_columns) == std::vector<std::string>{"Name", "Desired", "Current", "Ready", "Age",
                                                      "Containers", "Images", "Selector"});
  CHECK(rs_columns[1].type == "integer");
  config::ReplicaSet rs;
  rs.metadata.name = "web-1";
  rs.spec.replicas = 3;
  rs.status.replicas = 3;
  rs.status.ready_replicas = 1;
  json r = table_of(rs);
  CHECK(r["rows"][0]["cells"][1] == 3);
  CHECK(r["rows"][0]["cells"][3] == 1);
  CHECK(r["rows"][0]["cells"][4] == "<unknown>");
}

TEST_CASE("configmap, secret and event columns", "[table]") {
  config::ConfigMap cm;
  cm.metadata.name = "cfg";
  cm.data = {{"a", "1"}, {"b", "2"}};
  cm.binary_data = {{"c", "3"}};
  CHECK(names(api::table_columns(config::Kind::kConfigMap)) ==
        std::vector<std::string>{"Name", "Data", "Age"});
  CHECK(table_of(cm)["rows"][0]["cells"][1] == 3);

  config::Secret s;
  s.metadata.name = "pw";
  s.type = "Opaque";
  s.data = {{"password", "x"}};
  CHECK(names(api::table_columns(config::Kind::kSecret)) ==
        std::vector<std::string>{"Name", "Type", "Data", "Age"});
  CHECK(table_of(s)["rows"][0]["cells"] == json::parse(R"(["pw","Opaque",1,"<unknown>"])"));

  const auto& ev = api::table_columns(config::Kind::kEvent);
  CHECK(names(ev) == std::vector<std::string>{"Last Seen", "Type", "Reason", "Object", "Subobject",
                                              "Source", "Message", "First Seen", "Count", "Name"});
  CHECK(priorities(ev) == std::vector<int>{0, 0, 0, 0, 1, 1, 0, 1, 1, 1});
  CHECK(ev.back().format == "name");
  config::Event e;
  e.metadata.name = "web-1.abc";
  e.type = "Warning";
  e.reason = "BackOff";
  e.involved_object.kind = "Pod";
  e.involved_object.name = "web-1";
  e.source.component = "kubelet";
  e.message = "Back-off restarting failed container";
  e.count = 3;
  e.first_timestamp = kCreated;
  e.last_timestamp = "2026-01-01T00:04:00Z";
  json t = table_of(e);
  CHECK(t["rows"][0]["cells"] ==
        json::parse(R"J(["60s (x3 over 5m)","Warning","BackOff","pod/web-1","","kubelet",)J"
                    R"J("Back-off restarting failed container","5m",3,"web-1.abc"])J"));
}

TEST_CASE("table JSON carries columns and the object as includeObject asks", "[table]") {
  const config::Pod pod = running_pod();
  json t = table_of(pod);
  CHECK(t["kind"] == "Table");
  CHECK(t["apiVersion"] == "meta.k8s.io/v1");
  CHECK(t["metadata"]["resourceVersion"] == "42");
  REQUIRE(t["columnDefinitions"].size() == 9);
  CHECK(t["columnDefinitions"][0] == json{{"name", "Name"},
                                          {"type", "string"},
                                          {"format", "name"},
                                          {"description", t["columnDefinitions"][0]["description"]},
                                          {"priority", 0}});
  CHECK(t["columnDefinitions"][5]["priority"] == 1);
  REQUIRE(t["rows"].size() == 1);
  // Default: Metadata, a PartialObjectMetadata with the labels kubectl --show-labels prints.
  const json& object = t["rows"][0]["object"];
  CHECK(object["kind"] == "PartialObjectMetadata");
  CHECK(object["apiVersion"] == "meta.k8s.io/v1");
  CHECK(object["metadata"]["name"] == "web-1");
  CHECK(object["metadata"]["labels"]["app"] == "web");
  CHECK_FALSE(object.contains("spec"));

  TableRequest none;
  none.include = IncludeObject::kNone;
  CHECK_FALSE(table_of(pod, none)["rows"][0].contains("object"));

  TableRequest full;
  full.include = IncludeObject::kObject;
  full.api_version = "meta.k8s.io/v1beta1";
  json f = table_of(pod, full);
  CHECK(f["apiVersion"] == "meta.k8s.io/v1beta1");
  CHECK(f["rows"][0]["object"]["kind"] == "Pod");
  CHECK(f["rows"][0]["object"]["spec"]["containers"][0]["name"] == "main");

  json empty =
      api::table_json(config::Kind::kService, std::vector<config::ObjectPtr>{}, "9", {}, kNow);
  CHECK(empty["rows"] == json::array());
  CHECK(empty["columnDefinitions"].size() == 7);
}

TEST_CASE("includeObject values", "[table]") {
  CHECK(*api::parse_include_object(nullptr) == IncludeObject::kMetadata);
  const std::string none = "None", object = "Object", metadata = "Metadata", bad = "object";
  CHECK(*api::parse_include_object(&none) == IncludeObject::kNone);
  CHECK(*api::parse_include_object(&object) == IncludeObject::kObject);
  CHECK(*api::parse_include_object(&metadata) == IncludeObject::kMetadata);
  auto r = api::parse_include_object(&bad);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 400);
}

TEST_CASE("Accept negotiation picks a Table or JSON or answers 406", "[table]") {
  auto table_version = [](std::string_view accept) -> std::string {
    auto r = api::negotiate_rendering(accept);
    if (!r) return "error " + std::to_string(r.error().code);
    return r.value() ? r.value()->api_version : "json";
  };
  // What kubectl v1.32 sends for `get`.
  CHECK(table_version("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
                      "v=v1beta1;g=meta.k8s.io,application/json") == "meta.k8s.io/v1");
  CHECK(table_version("application/json;as=Table;v=v1beta1;g=meta.k8s.io") ==
        "meta.k8s.io/v1beta1");
  CHECK(table_version("") == "json");
  CHECK(table_version("application/json") == "json");
  CHECK(table_version("*/*") == "json");
  CHECK(table_version("application/*") == "json");
  CHECK(table_version("application/json; charset=utf-8") == "json");
  // Spaces, case and quotes as HTTP allows them.
  CHECK(table_version(" Application/JSON ; AS=Table ; g=\"meta.k8s.io\" ; v=v1 ") ==
        "meta.k8s.io/v1");
  // q-values order the ranges; ties keep the written order; q=0 is "never".
  CHECK(table_version("application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json") ==
        "json");
  CHECK(table_version("application/json;q=0.9,application/json;as=Table;v=v1;g=meta.k8s.io") ==
        "meta.k8s.io/v1");
  CHECK(table_version("application/json;q=0,application/json;as=Table;v=v1;g=meta.k8s.io;q=0.1") ==
        "meta.k8s.io/v1");
  // Ranges skiff cannot serve are passed over.
  CHECK(table_version("application/vnd.kubernetes.protobuf,application/json") == "json");
  CHECK(table_version("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,"
                      "application/json") == "json");
  CHECK(table_version("application/json;as=Table;v=v2;g=meta.k8s.io,*/*") == "json");
  CHECK(table_version("application/json;as=Table;v=v1;g=example.com,application/json") == "json");
  // Nothing servable: 406, as the API server.
  CHECK(table_version("application/vnd.kubernetes.protobuf") == "error 406");
  CHECK(table_version("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io") ==
        "error 406");
  CHECK(table_version("application/yaml") == "error 406");
  CHECK(table_version("text/html") == "error 406");
  CHECK(table_version("application/json;q=0") == "error 406");
  CHECK(table_version("application/json;as=Table") == "error 406");
  // Malformed ranges are skipped, never fatal.
  CHECK(table_version("application/json;q=2,application/json;as=Table;v=v1;g=meta.k8s.io") ==
        "meta.k8s.io/v1");
  CHECK(table_version("garbage,;;,,application/json") == "json");
  CHECK(table_version(",,,") == "json");
  CHECK(table_version("application/json;q=abc") == "error 406");
  CHECK(table_version(std::string(10000, ';')) == "error 406");
}

TEST_CASE("a watch asking for a Table sends one-row Tables", "[table]") {
  const config::Pod pod = running_pod();
  auto line = api::watch_line("MODIFIED", pod, TableRequest{});
  REQUIRE(line.back() == '\n');
  json event = json::parse(line);
  CHECK(event["type"] == "MODIFIED");
  CHECK(event["object"]["kind"] == "Table");
  CHECK(event["object"]["metadata"]["resourceVersion"] == "7");
  CHECK(event["object"]["columnDefinitions"].size() == 9);
  REQUIRE(event["object"]["rows"].size() == 1);
  CHECK(event["object"]["rows"][0]["cells"][0] == "web-1");
  CHECK(event["object"]["rows"][0]["object"]["metadata"]["name"] == "web-1");
  // Without a Table: the object itself, as before.
  CHECK(json::parse(api::watch_line("ADDED", pod))["object"]["kind"] == "Pod");
}
