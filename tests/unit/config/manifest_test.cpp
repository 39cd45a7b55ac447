#include "config/manifest.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "seed_manifests.h"

using namespace skiff::config;
using skiff::config::test::kOriginalYaml;
using skiff::config::test::kSeedYaml;

namespace {

std::string all(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("the seed manifest loads with no diagnostics", "[manifest]") {
  LoadResult r = load_manifests(kSeedYaml, "deployment.yaml");
  INFO(all(r));
  REQUIRE(r.ok());
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.objects.size() == 2);
  const auto& svc = std::get<Service>(r.objects[0]);
  CHECK(svc.metadata.name == "flask-kubernetes-service");
  CHECK(svc.metadata.namespace_ == "default");
  CHECK(svc.spec.type == "LoadBalancer");
  REQUIRE(svc.spec.ports.size() == 1);
  CHECK(svc.spec.ports[0].port == 6000);
  CHECK(svc.spec.ports[0].target_port == IntOrString::of(5000));
  const auto& dep = std::get<Deployment>(r.objects[1]);
  CHECK(dep.spec.replicas == 4);
  CHECK(dep.spec.selector.match_labels.at("app") == "flask-kubernetes");
  REQUIRE(dep.spec.template_.spec.containers.size() == 1);
  CHECK(dep.spec.template_.spec.containers[0].image_pull_policy == "Never");
  CHECK(dep.spec.template_.spec.containers[0].ports[0].container_port == 5000);
}

TEST_CASE("the seed's own examples/hello/deployment.yaml loads cleanly", "[manifest]") {
  LoadResult r =
      load_manifest_file(std::string(SKIFF_SOURCE_DIR) + "/examples/hello/deployment.yaml");
  INFO(all(r));
  CHECK(r.diagnostics.empty());
  CHECK(r.objects.size() == 2);
}

TEST_CASE("the original tutorial file: the Service name error and the selector warning",
          "[manifest]") {
  LoadResult r = load_manifests(kOriginalYaml, "deployment.yaml");
  INFO(all(r));
  REQUIRE(r.diagnostics.size() == 2);
  CHECK_FALSE(r.ok());
  CHECK(r.objects.empty());  // all or nothing

  const Diagnostic& err = r.diagnostics[0];
  CHECK(err.severity == Diagnostic::Severity::kError);
  CHECK(err.to_string() ==
        "deployment.yaml:4:9: metadata.name: Invalid value: \"flask-kubernetes -service\": a "
        "DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");

  const Diagnostic& warn = r.diagnostics[1];
  CHECK(warn.severity == Diagnostic::Severity::kWarning);
  CHECK(warn.field == "spec.selector");
  CHECK(warn.line == 18);  // "spec:" of the Deployment: the selector itself is absent
  CHECK(warn.message.find("defaulted") != std::string::npos);
  CHECK(warn.message.find("app=flask-kubernetes") != std::string::npos);
}

TEST_CASE("only the selector missing is a warning, and the file loads", "[manifest]") {
  std::string text = kOriginalYaml;
  text.replace(text.find("flask-kubernetes -service"), 25, "flask-kubernetes-service");
  LoadResult r = load_manifests(text, "f.yaml");
  INFO(all(r));
  REQUIRE(r.ok());
  REQUIRE(r.objects.size() == 2);
  CHECK(std::get<Deployment>(r.objects[1]).spec.selector.match_labels.at("app") ==
        "flask-kubernetes");
  CHECK(r.diagnostics.size() == 1);
}

TEST_CASE("a wrong type names the field and its line", "[manifest]") {
  std::string text = kSeedYaml;
  text.replace(text.find("replicas: 4"), 11, "replicas: four");
  LoadResult r = load_manifests(text, "f.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() ==
        "f.yaml:19:13: spec.replicas: expected integer, got string");
  CHECK(r.objects.empty());
}

TEST_CASE("a number too large for an integer field is a type error, whole or not", "[manifest]") {
  // Found by the config fuzzer: 1e300 used to be converted to int64 before its range was
  // checked, which is undefined behaviour.
  for (const char* value : {"1e300", "-1e300", "9.3e18", "2.5"}) {
    CAPTURE(value);
    std::string text = kSeedYaml;
    text.replace(text.find("replicas: 4"), 11, std::string("replicas: ") + value);
    LoadResult r = load_manifests(text, "f.yaml");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].to_string() ==
          "f.yaml:19:13: spec.replicas: expected integer, got number");
    CHECK(r.objects.empty());
  }
}

TEST_CASE("malformed YAML is one error at yaml-cpp's position", "[manifest]") {
  LoadResult r = load_manifests("apiVersion: v1\nkind: Service\nmetadata: [a, b\n", "bad.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::kError);
  CHECK(r.diagnostics[0].line >= 3);
  CHECK(r.diagnostics[0].to_string().rfind("bad.yaml:", 0) == 0);
  CHECK(r.objects.empty());
}

TEST_CASE("unknown kind and wrong apiVersion", "[manifest]") {
  LoadResult r = load_manifests("apiVersion: v9\nkind: Foo\nmetadata:\n  name: x\n", "f.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "no matches for kind \"Foo\" in version \"v9\"");
  CHECK(r.diagnostics[0].line == 2);

  r = load_manifests("apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\n", "f.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "no matches for kind \"Deployment\" in version \"v1\"");
}

TEST_CASE("unknown fields are warnings with their line", "[manifest]") {
  std::string text = kSeedYaml;
  text.replace(text.find("  type: LoadBalancer"), 20, "  type: LoadBalancer\n  foo: 1");
  LoadResult r = load_manifests(text, "f.yaml");
  INFO(all(r));
  REQUIRE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() == "f.yaml:13:8: spec.foo: unknown field \"spec.foo\"");
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::kWarning);
}

TEST_CASE("every error is reported at once", "[manifest]") {
  const char* text = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: NodePort
  ports:
  - name: http
    port: 70000
    protocol: SCTP
    nodePort: 80
  - name: http
    port: 81
    targetPort: --bad
)";
  LoadResult r = load_manifests(text, "f.yaml");
  INFO(all(r));
  std::string joined = all(r);
  CHECK(joined.find("f.yaml:9:11: spec.ports[0].port: Invalid value: 70000: must be between 1 "
                    "and 65535, inclusive") != std::string::npos);
  CHECK(joined.find("f.yaml:10:15: spec.ports[0].protocol: Unsupported value: \"SCTP\": not "
                    "supported by skiff") != std::string::npos);
  CHECK(joined.find("f.yaml:11:15: spec.ports[0].nodePort: Invalid value: 80: provided port is "
                    "not in the valid range. The range of valid ports is 30000-32767") !=
        std::string::npos);
  CHECK(joined.find("f.yaml:12:11: spec.ports[1].name: Duplicate value: \"http\"") !=
        std::string::npos);
  CHECK(joined.find("spec.ports[1].targetPort: Invalid value: \"--bad\": must not contain "
                    "consecutive hyphens") != std::string::npos);
  CHECK(r.objects.empty());
}

TEST_CASE("an error in one document rejects the whole file", "[manifest]") {
  std::string text =
      std::string(kSeedYaml) + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";
  LoadResult r = load_manifests(text, "f.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.objects.empty());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].field == "spec.containers");
  CHECK(r.diagnostics[0].message == "Required value");
  CHECK(r.diagnostics[0].line == 35);  // the Pod document, spec being absent
}

TEST_CASE("huge input is refused without parsing", "[manifest]") {
  std::string text(kMaxManifestBytes + 1, '#');
  LoadResult r = load_manifests(text, "big.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("limit") != std::string::npos);
}

TEST_CASE("load_manifest_file reports unreadable and oversized files", "[manifest]") {
  LoadResult r = load_manifest_file("/nonexistent/skiff/x.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string().rfind("/nonexistent/skiff/x.yaml: cannot open", 0) == 0);

  r = load_manifest_file("/tmp");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("directory") != std::string::npos);

  char name[] = "/tmp/skiff-manifest-XXXXXX";
  int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream out(name);
    out << std::string(kMaxManifestBytes + 10, ' ');
  }
  r = load_manifest_file(name);
  std::remove(name);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("larger than the limit") != std::string::npos);
}

TEST_CASE("decode_object checks a JSON body the same way, without lines", "[manifest]") {
  nlohmann::json body = {{"apiVersion", "v1"},
                         {"kind", "Service"},
                         {"metadata", {{"name", "Bad_Name"}}},
                         {"spec", {{"ports", {{{"port", 80}}}}}}};
  LoadResult r = decode_object(body);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].line == 0);
  CHECK(r.diagnostics[0].to_string().rfind("metadata.name: Invalid value: \"Bad_Name\": a DNS-1035",
                                           0) == 0);

  body["metadata"]["name"] = "good";
  r = decode_object(body);
  REQUIRE(r.ok());
  REQUIRE(r.objects.size() == 1);
  const auto& svc = std::get<Service>(r.objects[0]);
  CHECK(svc.spec.ports[0].target_port == IntOrString::of(80));  // defaulted to port
  CHECK(svc.spec.ports[0].protocol == "TCP");

  body["spec"]["ports"][0]["port"] = "80";
  r = decode_object(body);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].to_string() == "spec.ports[0].port: expected integer, got string");
}

TEST_CASE("Diagnostic::to_string leaves out unknown parts", "[manifest]") {
  Diagnostic d;
  d.message = "m";
  CHECK(d.to_string() == "m");
  d.field = "spec";
  CHECK(d.to_string() == "spec: m");
  d.file = "f";
  CHECK(d.to_string() == "f: spec: m");
  d.line = 3;
  CHECK(d.to_string() == "f:3: spec: m");
  d.column = 7;
  CHECK(d.to_string() == "f:3:7: spec: m");
}
