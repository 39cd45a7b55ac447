#include "config/validation.h"

#include <catch2/catch.hpp>

#include "config/objects_json.h"
#include "tests/unit/config/validation_support.h"

using namespace skiff::config;
using nlohmann::json;
using skiff::test::has;
using skiff::test::problems;

namespace {

json service() {
  return json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
    "spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080}]}})");
}

json deployment() {
  return json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}}})");
}

json pod() {
  return json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
}

#define INFO_ALL(v)             \
  for (const auto& line_ : v) { \
    UNSCOPED_INFO(line_);       \
  }

}  // namespace

TEST_CASE("valid objects have no diagnostics", "[validation]") {
  CHECK(problems(service()).empty());
  CHECK(problems(deployment()).empty());
  CHECK(problems(pod()).empty());
}

TEST_CASE("names follow the rule of their kind", "[validation]") {
  json s = service();
  s["metadata"]["name"] = "1web";
  auto p = problems(s);
  REQUIRE(p.size() == 1);
  CHECK(p[0].rfind("metadata.name: Invalid value: \"1web\": a DNS-1035 label", 0) == 0);

  json d = deployment();
  d["metadata"]["name"] = "web.v1";  // a subdomain: fine for a Deployment
  CHECK(problems(d).empty());
  d["metadata"]["name"] = "Web";
  p = problems(d);
  REQUIRE(p.size() == 1);
  CHECK(p[0] ==
        "metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain must consist of "
        "lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");

  d["metadata"].erase("name");
  CHECK(has(problems(d), "metadata.name: Required value: name or generateName is required"));
  d["metadata"]["generateName"] = "web-";
  CHECK(problems(d).empty());

  json q = pod();
  q["metadata"]["namespace"] = "Prod";
  p = problems(q);
  REQUIRE(p.size() == 1);
  CHECK(p[0].rfind("metadata.namespace: Invalid value: \"Prod\": a lowercase RFC 1123 label", 0) ==
        0);
  q["metadata"]["namespace"] = std::string(64, 'a');
  CHECK(has(problems(q), "metadata.namespace: Invalid value: \"" + std::string(64, 'a') +
                             "\": must be no more than 63 characters"));
}

TEST_CASE("label keys and values", "[validation]") {
  json q = pod();
  q["metadata"]["labels"] = {{"app.kubernetes.io/name", "web"}, {"bad key", "x"}, {"ok", "-bad"}};
  auto p = problems(q);
  INFO_ALL(p);
  REQUIRE(p.size() == 2);
  CHECK(has(p,
            "metadata.labels: Invalid value: \"bad key\": name part must consist of "
            "alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
            "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
  CHECK(has(p,
            "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string "
            "or consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
            "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
  CHECK(qualified_name_errors("example.com/" + std::string(64, 'a')) ==
        std::vector<std::string>{"name part must be no more than 63 characters"});
  CHECK(qualified_name_errors("/x") == std::vector<std::string>{"prefix part must be non-empty"});
}

TEST_CASE("Service rules", "[validation]") {
  json s = service();
  SECTION("type") {
    s["spec"]["type"] = "Internal";
    CHECK(problems(s) == std::vector<std::string>{
                             "spec.type: Unsupported value: \"Internal\": supported values: "
                             "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""});
  }
  SECTION("ports required, except ExternalName and headless") {
    s["spec"].erase("ports");
    CHECK(problems(s) == std::vector<std::string>{"spec.ports: Required value"});
    s["spec"]["clusterIP"] = "None";
    CHECK(problems(s).empty());
    s["spec"]["type"] = "ExternalName";
    s["spec"].erase("clusterIP");
    CHECK(problems(s) == std::vector<std::string>{"spec.externalName: Required value"});
    s["spec"]["externalName"] = "db.example.com";
    CHECK(problems(s).empty());
  }
  SECTION("targetPort as a name") {
    s["spec"]["ports"][0]["targetPort"] = "http";
    CHECK(problems(s).empty());
    s["spec"]["ports"][0]["targetPort"] = "http-metrics-long";
    CHECK(problems(s) == std::vector<std::string>{"spec.ports[0].targetPort: Invalid value: "
                                                  "\"http-metrics-long\": must be no more than 15 "
                                                  "characters"});
    s["spec"]["ports"][0]["targetPort"] = "8080";
    CHECK(problems(s) == std::vector<std::string>{"spec.ports[0].targetPort: Invalid value: "
                                                  "\"8080\": must contain at least one letter "
                                                  "(a-z)"});
    s["spec"]["ports"][0]["targetPort"] = 0x10000;
    CHECK(problems(s) == std::vector<std::string>{"spec.ports[0].targetPort: Invalid value: "
                                                  "65536: must be between 1 and 65535, inclusive"});
  }
  SECTION("protocol") {
    s["spec"]["ports"][0]["protocol"] = "UDP";
    CHECK(problems(s).empty());
    s["spec"]["ports"][0]["protocol"] = "tcp";
    CHECK(problems(s) == std::vector<std::string>{"spec.ports[0].protocol: Unsupported value: "
                                                  "\"tcp\": supported values: \"TCP\", \"UDP\""});
  }
  SECTION("nodePort only for NodePort and LoadBalancer") {
    s["spec"]["ports"][0]["nodePort"] = 30080;
    CHECK(problems(s) == std::vector<std::string>{"spec.ports[0].nodePort: Forbidden: may not be "
                                                  "used when `type` is 'ClusterIP'"});
    s["spec"]["type"] = "NodePort";
    CHECK(problems(s).empty());
  }
  SECTION("port names when more than one, duplicate port and protocol") {
    s["spec"]["ports"].push_back({{"port", 80}});
    auto p = problems(s);
    INFO_ALL(p);
    CHECK(has(p, "spec.ports[0].name: Required value"));
    CHECK(has(p, "spec.ports[1].name: Required value"));
    CHECK(has(p, "spec.ports[1]: Duplicate value: \"80/TCP\""));
    s["spec"]["ports"][0]["name"] = "a";
    s["spec"]["ports"][1]["name"] = "b";
    s["spec"]["ports"][1]["protocol"] = "UDP";
    CHECK(problems(s).empty());
  }
  SECTION("headless only with ClusterIP") {
    s["spec"]["clusterIP"] = "None";
    s["spec"]["type"] = "LoadBalancer";
    CHECK(problems(s) ==
          std::vector<std::string>{"spec.clusterIP: Invalid value: \"None\": may "
                                   "not be set to 'None' for LoadBalancer services"});
  }
  SECTION("session affinity") {
    s["spec"]["sessionAffinity"] = "Cookie";
    CHECK(problems(s) == std::vector<std::string>{"spec.sessionAffinity: Unsupported value: "
                                                  "\"Cookie\": supported values: \"ClientIP\", "
                                                  "\"None\""});
    s["spec"]["sessionAffinity"] = "ClientIP";
    s["spec"]["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 86401}}}};
    CHECK(problems(s) == std::vector<std::string>{
                             "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: "
                             "86401: must be greater than 0 and less than 86400"});
  }
}

TEST_CASE("Deployment and ReplicaSet rules", "[validation]") {
  json d = deployment();
  SECTION("replicas") {
    d["spec"]["replicas"] = -1;
    CHECK(problems(d) ==
          std::vector<std::string>{
              "spec.replicas: Invalid value: -1: must be greater than or equal to 0"});
  }
  SECTION("selector must match the template") {
    d["spec"]["template"]["metadata"]["labels"] = {{"app", "x"}};
    CHECK(problems(d) ==
          std::vector<std::string>{"spec.template.metadata.labels: Invalid value: "
                                   "map[string]string{\"app\":\"x\"}: `selector` does not match "
                                   "template `labels`"});
  }
  SECTION("selector defaulted from the template, with a warning") {
    d["spec"].erase("selector");
    LoadResult r = decode_object(d);
    REQUIRE(r.ok());
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].severity == Diagnostic::Severity::kWarning);
    CHECK(std::get<Deployment>(r.objects[0]).spec.selector.match_labels ==
          StringMap{{"app", "web"}});
  }
  SECTION("no selector and no labels") {
    d["spec"].erase("selector");
    d["spec"]["template"]["metadata"].erase("labels");
    CHECK(problems(d) == std::vector<std::string>{"spec.selector: Required value"});
  }
  SECTION("template restartPolicy must be Always") {
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never";
    CHECK(problems(d) == std::vector<std::string>{"spec.template.spec.restartPolicy: Unsupported "
                                                  "value: \"Never\": supported values: "
                                                  "\"Always\""});
  }
  SECTION("ReplicaSet shares the rules") {
    d["kind"] = "ReplicaSet";
    d["spec"].erase("selector");
    d["spec"]["replicas"] = -3;
    auto p = problems(d);
    CHECK(has(p, "spec.replicas: Invalid value: -3: must be greater than or equal to 0"));
  }
}

TEST_CASE("pod spec rules", "[validation]") {
  json q = pod();
  json& c = q["spec"]["containers"];
  SECTION("containers required") {
    c = json::array();
    CHECK(problems(q) == std::vector<std::string>{"spec.containers: Required value"});
  }
  SECTION("container names and images") {
    c.push_back({{"name", "c"}});
    c.push_back({{"name", "Bad"}, {"image", "x"}});
    auto p = problems(q);
    INFO_ALL(p);
    CHECK(has(p, "spec.containers[1].name: Duplicate value: \"c\""));
    CHECK(has(p, "spec.containers[1].image: Required value"));
    CHECK(has(p,
              "spec.containers[2].name: Invalid value: \"Bad\": a lowercase RFC 1123 label "
              "must consist of lower case alphanumeric characters or '-', and must start and "
              "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
              "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
  }
  SECTION("ports") {
    c[0]["ports"] = {{{"containerPort", 0}},
                     {{"containerPort", 70000}, {"name", "web"}},
                     {{"containerPort", 81}, {"name", "web"}}};
    auto p = problems(q);
    INFO_ALL(p);
    CHECK(has(p, "spec.containers[0].ports[0].containerPort: Required value"));
    CHECK(has(p,
              "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be "
              "between 1 and 65535, inclusive"));
    CHECK(has(p, "spec.containers[0].ports[2].name: Duplicate value: \"web\""));
  }
  SECTION("env names") {
    c[0]["env"] = {{{"name", "MY_VAR"}, {"value", "1"}}, {{"name", "1X"}}};
    auto p = problems(q);
    REQUIRE(p.size() == 1);
    CHECK(p[0] ==
          "spec.containers[0].env[1].name: Invalid value: \"1X\": a valid environment variable "
          "name must consist of alphabetic characters, digits, '_', '-', or '.', and must not "
          "start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
          "used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
  }
  SECTION("probes need exactly one handler") {
    c[0]["readinessProbe"] = {{"periodSeconds", 5}};
    CHECK(problems(q) == std::vector<std::string>{
                             "spec.containers[0].readinessProbe: Required value: must specify a "
                             "handler type"});
    c[0]["readinessProbe"] = {{"httpGet", {{"port", 80}}}, {"tcpSocket", {{"port", 80}}}};
    CHECK(problems(q) == std::vector<std::string>{
                             "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not "
                             "specify more than 1 handler type"});
    c[0]["readinessProbe"] = {{"httpGet", {{"port", "http"}, {"path", "/healthz"}}}};
    CHECK(problems(q).empty());
  }
  SECTION("restartPolicy and grace period") {
    q["spec"]["restartPolicy"] = "Sometimes";
    q["spec"]["terminationGracePeriodSeconds"] = -1;
    auto p = problems(q);
    CHECK(has(p,
              "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
              "\"Always\", \"OnFailure\", \"Never\""));
    CHECK(has(p,
              "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or "
              "equal to 0"));
  }
}

TEST_CASE("Endpoints rules", "[validation]") {
  json e = json::parse(R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},
    "subsets":[{"addresses":[{"ip":"127.244.0.1"},{"ip":"::1"},{"ip":"300.1.1.1"}],
                "ports":[{"port":0,"protocol":"SCTP"}]}]})");
  auto p = problems(e);
  INFO_ALL(p);
  REQUIRE(p.size() == 3);
  CHECK(has(p,
            "subsets[0].addresses[2].ip: Invalid value: \"300.1.1.1\": must be a valid IP "
            "address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  CHECK(
      has(p, "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"));
  CHECK(
      has(p, "subsets[0].ports[0].protocol: Unsupported value: \"SCTP\": not supported by skiff"));
}

TEST_CASE("defaults", "[validation]") {
  CHECK(default_pull_policy("flask-kubernetes:latest") == "Always");
  CHECK(default_pull_policy("flask-kubernetes") == "Always");
  CHECK(default_pull_policy("localhost:5000/app") == "Always");
  CHECK(default_pull_policy("localhost:5000/app:1.0") == "IfNotPresent");
  CHECK(default_pull_policy("app@sha256:abcd") == "IfNotPresent");

  LoadResult r = decode_object(deployment());
  REQUIRE(r.ok());
  const auto& d = std::get<Deployment>(r.objects[0]);
  CHECK(d.spec.template_.spec.containers[0].image_pull_policy == "IfNotPresent");
  CHECK(d.metadata.namespace_ == "default");
}

TEST_CASE("unknown fields anywhere in the schema are warnings", "[validation]") {
  json d = deployment();
  d["spec"]["template"]["spec"]["containers"][0]["securityContext"] = json::object();
  d["metadata"]["labelz"] = json::object();
  std::optional<Kind> kind;
  auto diags = check_document(d, &kind);
  REQUIRE(kind == Kind::kDeployment);
  REQUIRE(diags.size() == 2);
  CHECK(diags[0].severity == Diagnostic::Severity::kWarning);
  CHECK(diags[0].message == "unknown field \"metadata.labelz\"");
  CHECK(diags[1].message == "unknown field \"spec.template.spec.containers[0].securityContext\"");
}
