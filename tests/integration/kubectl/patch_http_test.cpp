// PATCH over plain HTTP against a real daemon, each content type and each way it can go
// wrong, asserting what a client sees: the status, the message and the object a GET returns.
#include <catch2/catch.hpp>

#include "tests/integration/kubectl/kubectl_support.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

const char* kManifest = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels:
    app: web
data:
  a: "1"
  b: "2"
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 6080
    targetPort: 8080
  - name: metrics
    port: 9090
    targetPort: 9090
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: idle
spec:
  replicas: 0
  selector:
    matchLabels:
      app: idle
  template:
    metadata:
      labels:
        app: idle
    spec:
      containers:
      - name: idle
        image: host/sh
        command: ["sh", "-c", "exec sleep 3600"]
)";

constexpr const char* kConfigMap = "/api/v1/namespaces/default/configmaps/settings";
constexpr const char* kService = "/api/v1/namespaces/default/services/web";
constexpr const char* kIdle = "/apis/apps/v1/namespaces/default/deployments/idle";

Daemon::Options options(uint16_t port, const fs::path& file) {
  Daemon::Options o;
  o.files = {file.string()};
  o.api_port = port;
  o.node_address = "127.35.0.1";
  o.pod_cidr = "127.35.1.0/24";
  o.service_cidr = "127.35.2.0/24";
  return o;
}

json get(const Daemon& d, const std::string& path) {
  auto r = http_request(d.server(), "GET", path);
  REQUIRE(r.status == 200);
  return json::parse(r.body);
}

std::string rv(const json& object) { return object["metadata"]["resourceVersion"]; }

}  // namespace

TEST_CASE("PATCH over HTTP applies each patch type and rejects bad ones", "[kubectl][patch]") {
  const fs::path dir = fs::temp_directory_path() / ("skiff-patch-http-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "objects.yaml") << kManifest;
  Daemon d(options(28500, dir / "objects.yaml"));
  d.start();
  REQUIRE(
      eventually([&] { return http_request(d.server(), "GET", kService).status == 200; }, 60000ms));
  INFO(d.log());

  SECTION("merge patch: null deletes, maps merge") {
    auto r = http_request(d.server(), "PATCH", kConfigMap, "application/merge-patch+json",
                          R"({"data":{"a":null,"c":"3"},"metadata":{"labels":{"tier":"x"}}})");
    REQUIRE(r.status == 200);
    json cm = get(d, kConfigMap);
    CHECK(cm["data"] == json::parse(R"({"b":"2","c":"3"})"));
    CHECK(cm["metadata"]["labels"] == json::parse(R"({"app":"web","tier":"x"})"));
    CHECK(json::parse(r.body)["data"] == cm["data"]);
  }
  SECTION("JSON patch: add, escaped pointer, test") {
    auto r = http_request(d.server(), "PATCH", kConfigMap, "application/json-patch+json",
                          R"([{"op":"test","path":"/data/a","value":"1"},
            {"op":"add","path":"/metadata/annotations","value":{}},
            {"op":"add","path":"/metadata/annotations/example.com~1owner","value":"me"},
            {"op":"move","from":"/data/b","path":"/data/moved"}])");
    REQUIRE(r.status == 200);
    json cm = get(d, kConfigMap);
    CHECK(cm["metadata"]["annotations"]["example.com/owner"] == "me");
    CHECK(cm["data"] == json::parse(R"({"a":"1","moved":"2"})"));
  }
  SECTION("strategic merge patch merges Service ports by port") {
    auto r = http_request(d.server(), "PATCH", kService, "application/strategic-merge-patch+json",
                          R"({"spec":{"ports":[{"port":6080,"targetPort":8081}]}})");
    REQUIRE(r.status == 200);
    json ports = get(d, kService)["spec"]["ports"];
    REQUIRE(ports.size() == 2);
    CHECK(ports[0]["targetPort"] == 8081);
    CHECK(ports[0]["name"] == "http");
    CHECK(ports[1]["port"] == 9090);
  }
  SECTION("failures answer with the API server's status and change nothing") {
    const json before = get(d, kConfigMap);
    const json service_before = get(d, kService);
    struct Case {
      const char* path;
      const char* type;
      const char* body;
      int status;
      const char* says;
    };
    const Case cases[] = {
        {kConfigMap, "application/merge-patch+json", "{not json", 400, "malformed patch body"},
        {kConfigMap, "application/json-patch+json", R"({"op":"add"})", 400, "array"},
        {kConfigMap, "application/json-patch+json", R"([{"op":"test","path":"/data/a","value":"9"},
            {"op":"add","path":"/data/z","value":"1"}])",
         422, "could not be applied"},
        {kConfigMap, "application/json-patch+json",
         R"([{"op":"replace","path":"data/a","value":"2"}])", 422, "could not be applied"},
        {kConfigMap, "application/json-patch+json", R"([{"op":"remove","path":"/data/nope"}])", 422,
         "could not be applied"},
        {kService, "application/merge-patch+json", R"({"spec":{"ports":[{"port":70000}]}})", 422,
         "is invalid"},
        {kService, "application/strategic-merge-patch+json",
         R"({"spec":{"ports":[{"targetPort":1}]}})", 400, "merge key: port"},
        {kConfigMap, "application/json", R"({"data":{"a":"5"}})", 415,
         "the body of the request was in an unknown format"},
        {kConfigMap, "application/apply-patch+yaml", "data:\n  a: \"5\"\n", 415,
         "kubectl apply without --server-side"},
        {kConfigMap, "application/merge-patch+json",
         R"({"metadata":{"resourceVersion":"1"},"data":{"a":"5"}})", 409, ""},
    };
    for (const auto& c : cases) {
      INFO(c.type << " " << c.body);
      auto r = http_request(d.server(), "PATCH", c.path, c.type, c.body);
      CHECK(r.status == c.status);
      json status = json::parse(r.body, nullptr, false);
      REQUIRE(status.is_object());
      CHECK(status["kind"] == "Status");
      CHECK(status["code"] == c.status);
      CHECK(status["message"].get<std::string>().find(c.says) != std::string::npos);
    }
    CHECK(get(d, kConfigMap) == before);
    CHECK(get(d, kService) == service_before);
    CHECK(http_request(d.server(), "PATCH", "/api/v1/namespaces/default/configmaps/nope",
                       "application/merge-patch+json", "{}")
              .status == 404);
  }
  SECTION("a patch that changes nothing keeps the resourceVersion") {
    const std::string before = rv(get(d, kConfigMap));
    auto r = http_request(d.server(), "PATCH", kConfigMap, "application/merge-patch+json",
                          R"({"data":{"a":"1"}})");
    REQUIRE(r.status == 200);
    CHECK(rv(json::parse(r.body)) == before);
    CHECK(rv(get(d, kConfigMap)) == before);
    // With the current resourceVersion as a precondition it applies.
    r = http_request(d.server(), "PATCH", kConfigMap, "application/merge-patch+json",
                     R"({"metadata":{"resourceVersion":")" + before + R"("},"data":{"a":"7"}})");
    REQUIRE(r.status == 200);
    CHECK(rv(json::parse(r.body)) != before);
    CHECK(get(d, kConfigMap)["data"]["a"] == "7");
  }
  SECTION("PATCH on the scale and status subresources") {
    const std::string scale = std::string(kIdle) + "/scale";
    auto r = http_request(d.server(), "PATCH", scale, "application/merge-patch+json",
                          R"({"spec":{"replicas":0}})");
    REQUIRE(r.status == 200);
    CHECK(json::parse(r.body)["kind"] == "Scale");
    r = http_request(d.server(), "PATCH", scale, "application/json-patch+json",
                     R"([{"op":"replace","path":"/spec/replicas","value":-1}])");
    CHECK(r.status == 422);
    CHECK(get(d, kIdle)["spec"]["replicas"] == 0);
    // The status subresource ignores the spec, as in Kubernetes.
    r = http_request(d.server(), "PATCH", std::string(kIdle) + "/status",
                     "application/merge-patch+json", R"({"spec":{"replicas":4}})");
    CHECK(r.status == 200);
    CHECK(get(d, kIdle)["spec"]["replicas"] == 0);
    // A strategic merge patch of the pod template's env, merged by name.
    r = http_request(d.server(), "PATCH", kIdle, "application/strategic-merge-patch+json",
                     R"({"spec":{"template":{"spec":{"containers":[
                         {"name":"idle","env":[{"name":"A","value":"1"}]}]}}}})");
    REQUIRE(r.status == 200);
    json container = get(d, kIdle)["spec"]["template"]["spec"]["containers"][0];
    CHECK(container["image"] == "host/sh");
    CHECK(container["env"] == json::parse(R"([{"name":"A","value":"1"}])"));
  }
  SECTION("methods not allowed name PATCH in Allow") {
    auto r = http_request(d.server(), "POST", kConfigMap, "application/json", "{}");
    CHECK(r.status == 405);
    CHECK(r.headers.find("Allow: GET, PUT, PATCH, DELETE") != std::string::npos);
  }
  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}
