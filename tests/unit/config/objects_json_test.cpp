#include "config/objects_json.h"

#include <catch2/catch.hpp>

#include "config/yaml_emit.h"
#include "config/yaml_loader.h"

using namespace skiff::config;

namespace {

Pod full_pod() {
  Pod p;
  p.metadata.name = "web-abc";
  p.metadata.namespace_ = "prod";
  p.metadata.uid = "u-1";
  p.metadata.resource_version = 42;
  p.metadata.creation_timestamp = "2024-01-01T00:00:00Z";
  p.metadata.deletion_timestamp = "2024-01-01T00:01:00Z";
  p.metadata.labels = {{"app", "web"}};
  p.metadata.owner_references = {{"apps/v1", "ReplicaSet", "web-1", "u-0", true, true}};
  Container c;
  c.name = "web";
  c.image = "web:1";
  c.image_pull_policy = "IfNotPresent";
  c.command = {"python"};
  c.args = {"app.py"};
  c.ports = {{"http", 5000, "TCP", 0}};
  c.env = {{"A", "1", std::nullopt}};
  Probe probe;
  probe.http_get = HTTPGetAction{"/healthz", IntOrString::of("http"), "", "HTTP", {{"X", "y"}}};
  c.readiness_probe = probe;
  Probe live;
  live.tcp_socket = TCPSocketAction{IntOrString::of(5000), ""};
  c.liveness_probe = live;
  Probe start;
  start.exec = ExecAction{{"true"}};
  c.startup_probe = start;
  p.spec.containers = {c};
  p.spec.termination_grace_period_seconds = 5;
  p.status.phase = "Running";
  p.status.pod_ip = "127.244.0.2";
  p.status.pod_ips = {"127.244.0.2"};
  p.status.host_ip = "127.0.0.1";
  p.status.start_time = "2024-01-01T00:00:01Z";
  p.status.conditions = {{"Ready", "True", "", "", "2024-01-01T00:00:02Z", ""}};
  ContainerStatus cs;
  cs.name = "web";
  cs.ready = true;
  cs.started = true;
  cs.restart_count = 2;
  cs.state.running = ContainerStateRunning{"2024-01-01T00:00:01Z"};
  cs.last_state.terminated = ContainerStateTerminated{1, 0, "Error", "", "a", "b", "process://1"};
  cs.container_id = "process://2";
  p.status.container_statuses = {cs};
  return p;
}

Service full_service() {
  Service s;
  s.metadata.name = "web";
  s.spec.type = "NodePort";
  s.spec.selector = {{"app", "web"}};
  s.spec.ports = {{"http", "TCP", 80, IntOrString::of("http"), 30080},
                  {"dns", "UDP", 53, IntOrString::of(5353), 0}};
  s.spec.cluster_ip = "127.96.0.10";
  s.spec.cluster_ips = {"127.96.0.10"};
  s.spec.external_ips = {"127.0.0.2"};
  s.spec.session_affinity = "ClientIP";
  s.spec.session_affinity_timeout_seconds = 60;
  s.status.load_balancer_ingress = {{"127.0.0.1", ""}};
  return s;
}

Deployment full_deployment() {
  Deployment d;
  d.metadata.name = "web";
  d.metadata.generation = 3;
  d.spec.replicas = 0;
  d.spec.selector.match_labels = {{"app", "web"}};
  d.spec.selector.match_expressions = {{"tier", "In", {"a"}}};
  d.spec.template_.metadata.labels = {{"app", "web"}};
  d.spec.template_.spec.containers = {Container{}};
  d.spec.template_.spec.containers[0].name = "web";
  d.spec.strategy.max_surge = IntOrString::of(1);
  d.status.replicas = 2;
  d.status.conditions = {{"Available", "True", "MinimumReplicasAvailable", "ok", "t1", "t2"}};
  return d;
}

template <class T>
void check_round_trip(const T& original) {
  nlohmann::json j = to_json(Object(original));
  INFO(j.dump(2));
  Result<Object> back = object_from_json(j);
  REQUIRE(back.ok());
  CHECK(std::get<T>(*back) == original);
  // And through YAML, as `get -o yaml | apply -f -` would.
  YamlLoad y = load_yaml(to_yaml(j), "x");
  REQUIRE(y.ok());
  Result<Object> from_yaml = object_from_json(y.documents.at(0).value);
  REQUIRE(from_yaml.ok());
  CHECK(std::get<T>(*from_yaml) == original);
}

}  // namespace

TEST_CASE("every kind round-trips through JSON and YAML", "[objects_json]") {
  check_round_trip(full_pod());
  check_round_trip(Pod{});
  check_round_trip(full_service());
  check_round_trip(Service{});
  Endpoints e;
  e.metadata.name = "web";
  e.subsets = {{{{"127.244.0.1", "", "", ObjectReference{"Pod", "default", "web-1", "u"}}},
                {{"127.244.0.2", "h", "n", std::nullopt}},
                {{"http", 5000, "TCP"}}}};
  check_round_trip(e);
  check_round_trip(full_deployment());
  ReplicaSet rs;
  rs.metadata.name = "web-1";
  rs.spec.replicas = 3;
  rs.spec.selector.match_labels = {{"app", "web"}};
  rs.status.ready_replicas = 1;
  check_round_trip(rs);
}

TEST_CASE("JSON uses the API's names and shapes", "[objects_json]") {
  nlohmann::json p = to_json(Object(full_pod()));
  CHECK(p["kind"] == "Pod");
  CHECK(p["apiVersion"] == "v1");
  CHECK(p["metadata"]["namespace"] == "prod");
  CHECK(p["metadata"]["resourceVersion"] == "42");
  CHECK(p["metadata"]["ownerReferences"][0]["controller"] == true);
  CHECK(p["spec"]["containers"][0]["ports"][0]["containerPort"] == 5000);
  CHECK(p["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] == "http");
  CHECK(p["spec"]["terminationGracePeriodSeconds"] == 5);
  CHECK(p["status"]["podIPs"] == nlohmann::json::parse(R"([{"ip":"127.244.0.2"}])"));
  CHECK(p["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] ==
        "2024-01-01T00:00:01Z");
  CHECK(p["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1);
  CHECK(p["status"]["containerStatuses"][0]["restartCount"] == 2);

  nlohmann::json s = to_json(Object(full_service()));
  CHECK(s["spec"]["ports"][0]["targetPort"] == "http");
  CHECK(s["spec"]["ports"][1]["targetPort"] == 5353);
  CHECK(s["spec"]["ports"][0]["nodePort"] == 30080);
  CHECK_FALSE(s["spec"]["ports"][1].contains("nodePort"));
  CHECK(s["spec"]["clusterIP"] == "127.96.0.10");
  CHECK(s["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 60);
  CHECK(s["status"]["loadBalancer"]["ingress"][0]["ip"] == "127.0.0.1");

  nlohmann::json d = to_json(Object(full_deployment()));
  CHECK(d["spec"]["replicas"] == 0);  // numbers are always present
  CHECK(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 1);
  CHECK(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == "25%");
  CHECK(d["spec"]["template"]["metadata"]["labels"]["app"] == "web");
  CHECK_FALSE(d["spec"]["template"]["metadata"].contains("namespace"));
  CHECK(d["spec"]["selector"]["matchExpressions"][0]["operator"] == "In");
}

TEST_CASE("empty fields are omitted", "[objects_json]") {
  nlohmann::json p = to_json(Object(Pod{}));
  CHECK_FALSE(p["metadata"].contains("name"));
  CHECK_FALSE(p["metadata"].contains("labels"));
  CHECK_FALSE(p["metadata"].contains("resourceVersion"));
  CHECK_FALSE(p["metadata"].contains("deletionTimestamp"));
  CHECK_FALSE(p["status"].contains("podIP"));
  CHECK(p["metadata"]["namespace"] == "default");
}

TEST_CASE("wrong types are BadRequest naming the field path", "[objects_json]") {
  auto doc = nlohmann::json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"x"},"spec":{"replicas":"four"}})");
  Result<Object> r = object_from_json(doc);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == 400);
  CHECK(r.error().reason == "BadRequest");
  CHECK(r.error().message == "spec.replicas: expected integer, got string");

  doc["spec"] = {{"template", {{"spec", {{"containers", {{{"name", 5}}}}}}}}};
  r = object_from_json(doc);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "spec.template.spec.containers[0].name: expected string, got integer");

  doc["spec"] = {{"selector", {{"matchLabels", {{"app", true}}}}}};
  r = object_from_json(doc);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "spec.selector.matchLabels.app: expected string, got boolean");

  doc["spec"] = {{"replicas", 3000000000LL}};
  r = object_from_json(doc);
  REQUIRE_FALSE(r.ok());

  doc["spec"] = {{"replicas", 2}, {"unknownField", 1}};
  CHECK(object_from_json(doc).ok());  // unknown fields are validation's business
}

TEST_CASE("dispatch on kind and apiVersion", "[objects_json]") {
  auto r = object_from_json(nlohmann::json{{"kind", "Foo"}, {"apiVersion", "v9"}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "no matches for kind \"Foo\" in version \"v9\"");
  r = object_from_json(nlohmann::json{{"kind", "Service"}, {"apiVersion", "apps/v1"}});
  REQUIRE_FALSE(r.ok());
  r = object_from_json(nlohmann::json{{"apiVersion", "v1"}});
  REQUIRE_FALSE(r.ok());
  r = object_from_json(nlohmann::json::array());
  REQUIRE_FALSE(r.ok());
  r = object_from_json(nlohmann::json{{"kind", "Endpoints"}, {"apiVersion", "v1"}});
  REQUIRE(r.ok());
  CHECK(kind_of(*r) == Kind::kEndpoints);
}

TEST_CASE("lists and Status objects", "[objects_json]") {
  Pod a;
  a.metadata.name = "a";
  std::vector<ObjectPtr> items = {std::make_shared<const Object>(a)};
  nlohmann::json list = list_to_json(Kind::kPod, items, 17);
  CHECK(list["kind"] == "PodList");
  CHECK(list["apiVersion"] == "v1");
  CHECK(list["metadata"]["resourceVersion"] == "17");
  REQUIRE(list["items"].size() == 1);
  CHECK(list["items"][0]["metadata"]["name"] == "a");
  CHECK(list_to_json(Kind::kDeployment, {}, 1)["apiVersion"] == "apps/v1");
  CHECK(list_to_json(Kind::kDeployment, {}, 1)["items"] == nlohmann::json::array());

  nlohmann::json st = status_to_json(ApiError::invalid(
      "Service \"x\" is invalid", {{"metadata.name", "FieldValueInvalid", "bad name"}}));
  CHECK(st == nlohmann::json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
    "status":"Failure","message":"Service \"x\" is invalid","reason":"Invalid",
    "details":{"causes":[{"reason":"FieldValueInvalid","message":"bad name",
    "field":"metadata.name"}]},"code":422})"));
  CHECK(status_to_json(ApiError::not_found("pods \"x\""))["code"] == 404);
  CHECK(success_status_json()["status"] == "Success");
}
