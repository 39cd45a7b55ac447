// Strategic merge patch: merge keys as k8s.io/api declares them and each directive of
// k8s.io/apimachinery/pkg/util/strategicpatch (cases modelled on its patch_test.go).
#include "api/strategic_merge.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "api/patch.h"

using nlohmann::json;
using skiff::api::list_strategy;
using skiff::api::strategic_merge;

namespace {

json merged(const char* original, const char* patch) {
  auto result = strategic_merge(json::parse(original), json::parse(patch));
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result);
  return *result;
}

const char* kDeployment = R"({
  "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"},
               "finalizers": ["a", "b"]},
  "spec": {"replicas": 2, "template": {"spec": {
    "containers": [
      {"name": "web", "image": "web:1", "args": ["--a", "--b"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
       "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81}],
       "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
      {"name": "sidecar", "image": "side:1"}],
    "volumes": [{"name": "data", "emptyDir": {}}]}}}})";

}  // namespace

TEST_CASE("strategic merge lists use the merge keys Kubernetes declares", "[patch][strategic]") {
  using Path = std::vector<std::string>;
  CHECK(list_strategy(Path{"spec", "template", "spec", "containers"}).key == "name");
  CHECK(list_strategy(Path{"spec", "containers"}).key == "name");
  CHECK(list_strategy(Path{"spec", "initContainers"}).key == "name");
  CHECK(list_strategy(Path{"spec", "volumes"}).key == "name");
  CHECK(list_strategy(Path{"spec", "imagePullSecrets"}).key == "name");
  CHECK(list_strategy(Path{"spec", "containers", "env"}).key == "name");
  CHECK(list_strategy(Path{"spec", "containers", "ports"}).key == "containerPort");
  CHECK(list_strategy(Path{"spec", "containers", "volumeMounts"}).key == "mountPath");
  CHECK(list_strategy(Path{"spec", "ports"}).key == "port");  // Service
  CHECK(list_strategy(Path{"status", "conditions"}).key == "type");
  CHECK(list_strategy(Path{"metadata", "ownerReferences"}).key == "uid");
  CHECK(list_strategy(Path{"metadata", "finalizers"}).merge);
  CHECK(list_strategy(Path{"metadata", "finalizers"}).key.empty());
  CHECK_FALSE(list_strategy(Path{"subsets"}).merge);  // Endpoints subsets are atomic
  CHECK_FALSE(list_strategy(Path{"spec", "containers", "args"}).merge);
  CHECK_FALSE(list_strategy(Path{"spec", "containers", "envFrom"}).merge);
}

TEST_CASE("kubectl set image changes one container and keeps the rest", "[patch][strategic]") {
  json out = merged(kDeployment,
                    R"({"spec":{"template":{"spec":{"containers":[
                        {"name":"web","image":"web:2"}]}}}})");
  const json& cs = out["spec"]["template"]["spec"]["containers"];
  REQUIRE(cs.size() == 2);
  CHECK(cs[0]["image"] == "web:2");
  CHECK(cs[0]["env"].size() == 2);
  CHECK(cs[0]["args"] == json::parse(R"(["--a","--b"])"));
  CHECK(cs[1] == json::parse(R"({"name":"sidecar","image":"side:1"})"));
  CHECK(out["spec"]["replicas"] == 2);
}

TEST_CASE("strategic merge merges nested keyed lists and replaces lists without a key",
          "[patch][strategic]") {
  json out = merged(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"web","args":["--c"],
       "env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],
       "ports":[{"containerPort":81,"name":"metrics"}]},
      {"name":"new","image":"new:1"}]}}}})");
  const json& cs = out["spec"]["template"]["spec"]["containers"];
  REQUIRE(cs.size() == 3);
  CHECK(cs[0]["args"] == json::parse(R"(["--c"])"));
  CHECK(cs[0]["env"] == json::parse(
                            R"([{"name":"A","value":"1"},{"name":"B","value":"20"},
                                {"name":"C","value":"3"}])"));
  CHECK(
      cs[0]["ports"] ==
      json::parse(R"([{"containerPort":80,"name":"http"},{"containerPort":81,"name":"metrics"}])"));
  CHECK(cs[2]["name"] == "new");
  // Maps merge, null deletes.
  out = merged(kDeployment, R"({"metadata":{"labels":{"tier":null,"env":"prod"}}})");
  CHECK(out["metadata"]["labels"] == json::parse(R"({"app":"web","env":"prod"})"));
  // Service ports by port, Endpoints subsets whole.
  out = merged(R"({"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}]}})",
               R"({"spec":{"ports":[{"port":443,"targetPort":8443}]}})");
  CHECK(out["spec"]["ports"] ==
        json::parse(R"([{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}])"));
  out = merged(R"({"subsets":[{"addresses":[{"ip":"1.1.1.1"}]},{"addresses":[{"ip":"2.2.2.2"}]}]})",
               R"({"subsets":[{"addresses":[{"ip":"3.3.3.3"}]}]})");
  CHECK(out["subsets"] == json::parse(R"([{"addresses":[{"ip":"3.3.3.3"}]}])"));
  // A merge list of primitives is a set union.
  out = merged(kDeployment, R"({"metadata":{"finalizers":["b","c"]}})");
  CHECK(out["metadata"]["finalizers"] == json::parse(R"(["a","b","c"])"));
}

TEST_CASE("$patch delete, replace and merge in maps and list items", "[patch][strategic]") {
  json out = merged(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"sidecar","$patch":"delete"}]}}}})");
  REQUIRE(out["spec"]["template"]["spec"]["containers"].size() == 1);
  CHECK(out["spec"]["template"]["spec"]["containers"][0]["name"] == "web");

  out = merged(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"only","image":"only:1"},{"$patch":"replace"}]}}}})");
  CHECK(out["spec"]["template"]["spec"]["containers"] ==
        json::parse(R"([{"name":"only","image":"only:1"}])"));

  out = merged(kDeployment, R"({"metadata":{"labels":{"$patch":"replace","only":"x"}}})");
  CHECK(out["metadata"]["labels"] == json::parse(R"({"only":"x"})"));

  out = merged(kDeployment, R"({"metadata":{"labels":{"$patch":"delete"}}})");
  CHECK_FALSE(out["metadata"].contains("labels"));

  out = merged(kDeployment, R"({"metadata":{"labels":{"$patch":"merge","x":"y"}}})");
  CHECK(out["metadata"]["labels"] == json::parse(R"({"app":"web","tier":"front","x":"y"})"));

  // Directives never leak into the result, even inside new items.
  out = merged(R"({})", R"({"spec":{"containers":[{"name":"a","env":[
      {"name":"X","value":"1"},{"name":"Y","$patch":"delete"}]}]}})");
  CHECK(out.dump().find('$') == std::string::npos);
  CHECK(out["spec"]["containers"][0]["env"] == json::parse(R"([{"name":"X","value":"1"}])"));
}

TEST_CASE("$retainKeys drops the keys it does not list", "[patch][strategic]") {
  json out = merged(R"({"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}})",
                    R"({"strategy":{"$retainKeys":["type"],"type":"Recreate"}})");
  CHECK(out == json::parse(R"({"strategy":{"type":"Recreate"}})"));
}

TEST_CASE("$deleteFromPrimitiveList removes the values", "[patch][strategic]") {
  json out = merged(kDeployment, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})");
  CHECK(out["metadata"]["finalizers"] == json::parse(R"(["b"])"));
}

TEST_CASE("$setElementOrder orders the merged list as kubectl apply asks", "[patch][strategic]") {
  // kubectl apply after swapping the order of env B and A in the manifest and adding C first.
  json out = merged(kDeployment, R"({"spec":{"template":{"spec":{"containers":[
      {"name":"web",
       "$setElementOrder/env":[{"name":"C"},{"name":"B"},{"name":"A"}],
       "env":[{"name":"C","value":"3"}]}],
      "$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}]}}}})");
  const json& cs = out["spec"]["template"]["spec"]["containers"];
  REQUIRE(cs.size() == 2);
  CHECK(cs[0]["name"] == "sidecar");
  CHECK(cs[1]["name"] == "web");
  CHECK(cs[1]["env"] == json::parse(
                            R"([{"name":"C","value":"3"},{"name":"B","value":"2"},
                                {"name":"A","value":"1"}])"));
  // Items only the server has keep their place relative to the listed ones (mergeSortedSlice:
  // "server" stood before "b" on the server, so it stays before it).
  out = merged(R"({"spec":{"volumes":[{"name":"a"},{"name":"server"},{"name":"b"}]}})",
               R"({"spec":{"$setElementOrder/volumes":[{"name":"b"},{"name":"a"}]}})");
  CHECK(out["spec"]["volumes"] == json::parse(R"([{"name":"server"},{"name":"b"},{"name":"a"}])"));
}

TEST_CASE("malformed strategic merge patches are BadRequest", "[patch][strategic]") {
  auto error = [](const char* original, const char* patch) {
    auto result = strategic_merge(json::parse(original), json::parse(patch));
    REQUIRE_FALSE(result);
    CHECK(result.error().code == 400);
    return result.error().message;
  };
  CHECK(error(kDeployment, R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})")
            .find("does not contain declared merge key: name") != std::string::npos);
  CHECK(error(kDeployment, R"({"metadata":{"labels":{"$patch":"explode"}}})")
            .find("unknown patch type: explode") != std::string::npos);
  CHECK(error(kDeployment, R"({"metadata":{"$frobnicate":1}})").find("$frobnicate") !=
        std::string::npos);
  CHECK(error(kDeployment, R"(["not","a","map"])").find("JSON object") != std::string::npos);
  CHECK(error(kDeployment, R"({"strategy":{"$retainKeys":["type"],"other":1}})").find("retain") !=
        std::string::npos);
}

TEST_CASE("the Content-Type picks the patch type as the API server does", "[patch]") {
  using skiff::api::patch_type;
  using skiff::api::PatchType;
  CHECK(*patch_type("application/merge-patch+json") == PatchType::kMerge);
  CHECK(*patch_type("application/json-patch+json") == PatchType::kJson);
  CHECK(*patch_type("Application/Strategic-Merge-Patch+JSON; charset=utf-8") ==
        PatchType::kStrategic);
  auto ssa = patch_type("application/apply-patch+yaml");
  REQUIRE_FALSE(ssa);
  CHECK(ssa.error().code == 415);
  CHECK(ssa.error().reason == "UnsupportedMediaType");
  CHECK(ssa.error().message.find("without --server-side") != std::string::npos);
  for (const char* type : {"application/json", "", "text/plain"}) {
    auto other = patch_type(type);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == 415);
    CHECK(other.error().message.find("the body of the request was in an unknown format") == 0);
  }
  auto bad = skiff::api::apply_patch(PatchType::kMerge, json::object(), "{not json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == 400);
}

TEST_CASE("a strategic merge of tens of thousands of list items stays linear",
          "[patch][strategic]") {
  // The API accepts 8 MiB bodies: a scan per item would be quadratic and stall the event loop.
  constexpr int kItems = 20000;
  json original = {{"spec", {{"volumes", json::array()}}}};
  json patch = {
      {"spec", {{"volumes", json::array()}, {"$setElementOrder/volumes", json::array()}}}};
  for (int i = 0; i < kItems; ++i) {
    original["spec"]["volumes"].push_back({{"name", "v" + std::to_string(i)}});
    patch["spec"]["volumes"].push_back({{"name", "v" + std::to_string(i)}, {"x", i}});
    patch["spec"]["$setElementOrder/volumes"].push_back(
        {{"name", "v" + std::to_string(kItems - 1 - i)}});
  }
  const auto start = std::chrono::steady_clock::now();
  auto result = strategic_merge(original, patch);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(result);
  const json& volumes = (*result)["spec"]["volumes"];
  REQUIRE(volumes.size() == kItems);
  CHECK(volumes.front() == json({{"name", "v" + std::to_string(kItems - 1)}, {"x", kItems - 1}}));
  CHECK(volumes.back() == json({{"name", "v0"}, {"x", 0}}));
  CHECK(took < std::chrono::seconds(10));
}
