// env[].valueFrom.resourceFieldRef (the Downward API for a container's requests and limits):
// its JSON both ways, and validation worded as the API server words it
// (validateContainerResourceFieldSelector, validateContainerResourceDivisor).
#include <catch2/catch.hpp>

#include "config/objects_json.h"
#include "tests/unit/config/validation_support.h"

using namespace skiff::config;
using nlohmann::json;
using skiff::test::has;
using skiff::test::problems;

namespace {

json pod_with_env(const json& env) {
  json p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"app","image":"busybox"},{"name":"side","image":"busybox"}]}})");
  p["spec"]["containers"][0]["env"] = env;
  return p;
}

json resource_ref(const std::string& resource, const json& divisor = nullptr,
                  const std::string& container = "") {
  json ref = {{"resource", resource}};
  if (!divisor.is_null()) ref["divisor"] = divisor;
  if (!container.empty()) ref["containerName"] = container;
  return {{"name", "V"}, {"valueFrom", {{"resourceFieldRef", ref}}}};
}

// The messages for one env var that reads `resource` with `divisor`.
std::vector<std::string> problems_of(const std::string& resource, const json& divisor) {
  return problems(pod_with_env(json::array({resource_ref(resource, divisor)})));
}

std::string all(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

const std::string kRef = "spec.containers[0].env[0].valueFrom.resourceFieldRef";
const std::string kCpuDivisor =
    "only divisor's values 1m and 1 are supported with the cpu resource";
const std::string kMemoryDivisor =
    "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported "
    "with the memory resource";
const std::string kStorageDivisor =
    "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported "
    "with the local ephemeral storage resource";

}  // namespace

TEST_CASE("resourceFieldRef reads from JSON and writes back as written") {
  auto parsed = object_from_json(pod_with_env(json::parse(R"([
    {"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"1m"}}},
    {"name":"MEM","valueFrom":{"resourceFieldRef":{"containerName":"side",
                                                   "resource":"requests.memory","divisor":1}}},
    {"name":"DISK","valueFrom":{"resourceFieldRef":{"resource":"limits.ephemeral-storage"}}}])")));
  REQUIRE(parsed);
  const auto& env = std::get<Pod>(*parsed).spec.containers.at(0).env;
  REQUIRE(env.size() == 3);
  REQUIRE(env[0].value_from->resource_field_ref);
  CHECK(*env[0].value_from->resource_field_ref == ResourceFieldSelector{"", "limits.cpu", "1m"});
  // A divisor written as a YAML/JSON number is kept as its text.
  CHECK(*env[1].value_from->resource_field_ref ==
        ResourceFieldSelector{"side", "requests.memory", "1"});
  CHECK(env[2].value_from->resource_field_ref->divisor.empty());
  CHECK_FALSE(env[0].value_from->field_ref);

  const json out = to_json(*parsed);
  const json& e = out["spec"]["containers"][0]["env"];
  CHECK(e[0]["valueFrom"] ==
        json::parse(R"({"resourceFieldRef":{"resource":"limits.cpu","divisor":"1m"}})"));
  CHECK(e[1]["valueFrom"]["resourceFieldRef"] ==
        json::parse(R"({"containerName":"side","resource":"requests.memory","divisor":"1"})"));
  CHECK(e[2]["valueFrom"]["resourceFieldRef"] ==
        json::parse(R"({"resource":"limits.ephemeral-storage"})"));
  auto back = object_from_json(out);
  REQUIRE(back);
  CHECK(std::get<Pod>(*back) == std::get<Pod>(*parsed));
}

TEST_CASE("a resourceFieldRef of the wrong type is refused with its path") {
  auto bad = object_from_json(pod_with_env(json::parse(
      R"([{"name":"V","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":[1]}}}])")));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(kRef + ".divisor: expected quantity") != std::string::npos);
}

TEST_CASE("a valid resourceFieldRef loads without diagnostics or unknown-field warnings") {
  auto p = problems(pod_with_env(json::parse(R"([
    {"name":"A","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}},
    {"name":"B","valueFrom":{"resourceFieldRef":{"resource":"requests.cpu","divisor":"1m"}}},
    {"name":"C","valueFrom":{"resourceFieldRef":{"resource":"limits.memory","divisor":"1Mi"}}},
    {"name":"D","valueFrom":{"resourceFieldRef":{"containerName":"side",
                                                 "resource":"requests.memory","divisor":"1G"}}},
    {"name":"E","valueFrom":{"resourceFieldRef":{"resource":"limits.ephemeral-storage",
                                                 "divisor":"1Ki"}}},
    {"name":"F","valueFrom":{"resourceFieldRef":{"resource":"requests.ephemeral-storage",
                                                 "divisor":1}}}])")));
  INFO(all(p));
  CHECK(p.empty());
}

TEST_CASE("resourceFieldRef.resource is one of the six container resources") {
  auto p = problems_of("limits.gpu", nullptr);
  INFO(all(p));
  CHECK(has(p, kRef + ".resource: Unsupported value: \"limits.gpu\": supported values: "
                      "\"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", "
                      "\"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\""));
  auto empty = problems(pod_with_env(
      json::parse(R"([{"name":"V","valueFrom":{"resourceFieldRef":{"divisor":"1"}}}])")));
  CHECK(has(empty, kRef + ".resource: Required value"));
}

TEST_CASE("the cpu divisor is 1m or 1, however it is written") {
  for (const json& ok : {json("1m"), json("1"), json(1), json("1000m"), json("0.001"), json("1e0"),
                         json("0"), json("+1")}) {
    INFO(ok.dump());
    CHECK(problems_of("limits.cpu", ok).empty());
    CHECK(problems_of("requests.cpu", ok).empty());
  }
  for (const json& bad :
       {json("2"), json("1k"), json("1Ki"), json("100m"), json("1e-3"), json("0.5"), json("-1")}) {
    INFO(bad.dump());
    auto p = problems_of("limits.cpu", bad);
    INFO(all(p));
    CHECK(has(p, kRef + ".divisor: Invalid value: \"limits.cpu\": " + kCpuDivisor));
    CHECK(p.size() == 1);
  }
  CHECK(has(problems_of("requests.cpu", "10"),
            kRef + ".divisor: Invalid value: \"requests.cpu\": " + kCpuDivisor));
}

TEST_CASE("memory and ephemeral-storage divisors are powers of 1000 or 1024") {
  for (const char* ok : {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi",
                         "1Ei", "1024Ki", "1000k", "0.001M"}) {
    INFO(ok);
    CHECK(problems_of("limits.memory", ok).empty());
    CHECK(problems_of("requests.ephemeral-storage", ok).empty());
  }
  for (const char* bad : {"1m", "2Mi", "1024", "1e3", "512Ki", "1.5Gi", "10"}) {
    INFO(bad);
    auto p = problems_of("requests.memory", bad);
    INFO(all(p));
    CHECK(has(p, kRef + ".divisor: Invalid value: \"requests.memory\": " + kMemoryDivisor));
    auto s = problems_of("limits.ephemeral-storage", bad);
    INFO(all(s));
    CHECK(
        has(s, kRef + ".divisor: Invalid value: \"limits.ephemeral-storage\": " + kStorageDivisor));
  }
}

TEST_CASE("a divisor that is not a quantity is refused with the reason") {
  auto p = problems_of("limits.memory", "lots");
  INFO(all(p));
  REQUIRE(p.size() == 1);
  CHECK(p[0].starts_with(kRef + ".divisor: Invalid value: \"lots\": "));
}

TEST_CASE("resourceFieldRef.containerName names a container of the pod") {
  auto p = problems(pod_with_env(json::array({resource_ref("limits.cpu", nullptr, "sidecar")})));
  INFO(all(p));
  CHECK(has(p, kRef + ".containerName: Not found: \"sidecar\""));
  CHECK(problems(pod_with_env(json::array({resource_ref("limits.cpu", nullptr, "side")}))).empty());
}

TEST_CASE("resourceFieldRef counts as one of the four valueFrom sources") {
  auto p = problems(pod_with_env(json::parse(R"([
    {"name":"A","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"},
                             "fieldRef":{"fieldPath":"metadata.name"}}},
    {"name":"B","value":"x","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}])")));
  INFO(all(p));
  CHECK(has(p,
            "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not have more "
            "than one field specified at a time"));
  CHECK(has(p,
            "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified "
            "when `value` is not empty"));
  CHECK(p.size() == 2);
}
