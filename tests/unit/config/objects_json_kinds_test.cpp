// JSON of the kinds and pod-spec fields #8 added: ConfigMap, Secret, Node, env sources,
// volumes, resources. What `get -o json` prints must read back to the same object.
#include <catch2/catch.hpp>

#include "config/objects_json.h"

using namespace skiff::config;

namespace {

template <class T>
T round_trip(const T& in) {
  auto back = object_from_json(to_json(Object(in)));
  REQUIRE(back);
  REQUIRE(std::holds_alternative<T>(*back));
  return std::get<T>(*back);
}

}  // namespace

TEST_CASE("a Secret's data is base64 on the wire and bytes in memory") {
  auto parsed = object_from_json(json::parse(R"({
    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
    "data": {"password": "czNjcjN0", "bin": "AP8="},
    "stringData": {"user": "admin", "password": "override"}})"));
  REQUIRE(parsed);
  const auto& s = std::get<Secret>(*parsed);
  CHECK(s.type == "Opaque");
  CHECK(s.data.at("bin") == std::string("\x00\xff", 2));
  // stringData merges into data and wins, as the API server does; it is never kept.
  CHECK(s.data.at("password") == "override");
  CHECK(s.data.at("user") == "admin");
  CHECK(s.string_data.empty());
  const json out = to_json(*parsed);
  CHECK(out["data"]["user"] == "YWRtaW4=");
  CHECK_FALSE(out.contains("stringData"));
  CHECK(round_trip(s) == s);
}

TEST_CASE("a Secret with data that is not base64 is refused with the key's path") {
  auto parsed = object_from_json(json::parse(R"({
    "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
    "data": {"password": "not base64!"}})"));
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == 400);
  CHECK(parsed.error().message.find("data.password") != std::string::npos);
  CHECK(parsed.error().message.find("base64") != std::string::npos);
}

TEST_CASE("a ConfigMap keeps data as text and binaryData as bytes") {
  ConfigMap cm;
  cm.metadata.name = "settings";
  cm.data = {{"app.conf", "mode=fast\n"}};
  cm.binary_data = {{"blob", std::string("\x01\x02\x00", 3)}};
  cm.immutable = true;
  const json out = to_json(Object(cm));
  CHECK(out["binaryData"]["blob"] == "AQIA");
  CHECK(out["data"]["app.conf"] == "mode=fast\n");
  CHECK(round_trip(cm) == cm);
}

TEST_CASE("a Node is cluster-scoped and its quantities read back") {
  auto parsed = object_from_json(json::parse(R"({
    "apiVersion": "v1", "kind": "Node", "metadata": {"name": "skiff", "namespace": "x"},
    "status": {"capacity": {"cpu": 2, "memory": "24Gi", "pods": "110"},
               "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}})"));
  REQUIRE(parsed);
  const auto& n = std::get<Node>(*parsed);
  CHECK(n.metadata.namespace_.empty());
  CHECK(n.status.capacity.at("cpu") == "2");
  CHECK(n.status.capacity.at("memory") == "24Gi");
  CHECK_FALSE(to_json(*parsed)["metadata"].contains("namespace"));
  CHECK(round_trip(n) == n);
}

TEST_CASE("env sources, envFrom, volumes, mounts and resources survive a round trip") {
  auto parsed = object_from_json(json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {
      "volumes": [
        {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
        {"name": "conf", "configMap": {"name": "settings", "defaultMode": 256,
                                       "items": [{"key": "a", "path": "dir/a", "mode": 384}]}},
        {"name": "creds", "secret": {"secretName": "db", "optional": true}}],
      "containers": [{
        "name": "app", "image": "app:1",
        "env": [
          {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
          {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw",
                                                         "optional": true}}},
          {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "settings"}},
                    {"secretRef": {"name": "db"}}],
        "volumeMounts": [{"name": "conf", "mountPath": "/etc/app", "readOnly": true},
                         {"name": "scratch", "mountPath": "/tmp/x", "subPath": "a"}],
        "resources": {"requests": {"cpu": 0.5, "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": 268435456}}}]}})"));
  REQUIRE(parsed);
  const auto& pod = std::get<Pod>(*parsed);
  const auto& c = pod.spec.containers.at(0);
  REQUIRE(pod.spec.volumes.size() == 4);
  CHECK(pod.spec.volumes[0].empty_dir->medium == "Memory");
  CHECK(pod.spec.volumes[0].empty_dir->size_limit == "64Mi");
  CHECK(pod.spec.volumes[1].host_path->type == "Directory");
  CHECK(pod.spec.volumes[2].config_map->default_mode == 0400);
  CHECK(pod.spec.volumes[2].config_map->items.at(0).mode == 0600);
  CHECK(pod.spec.volumes[3].secret->default_mode == 0644);  // Kubernetes' default
  CHECK(pod.spec.volumes[3].secret->optional);
  CHECK(c.env[0].value_from->config_map_key_ref->key == "mode");
  CHECK(c.env[1].value_from->secret_key_ref->optional);
  CHECK(c.env[2].value_from->field_ref->field_path == "status.podIP");
  CHECK(c.env_from[0].prefix == "CFG_");
  CHECK(c.env_from[1].secret_ref->name == "db");
  CHECK(c.volume_mounts[0].read_only);
  CHECK(c.volume_mounts[1].sub_path == "a");
  CHECK(c.resources.requests.at("cpu") == "0.5");
  CHECK(c.resources.limits.at("memory") == "268435456");
  CHECK(round_trip(pod) == pod);
}

TEST_CASE("a quantity of the wrong type names its field") {
  auto parsed = object_from_json(json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "a", "image": "a",
                             "resources": {"limits": {"memory": ["1Gi"]}}}]}})"));
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message.find("resources.limits.memory") != std::string::npos);
}
