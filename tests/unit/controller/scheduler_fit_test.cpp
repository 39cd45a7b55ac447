#include "controller/scheduler_fit.h"

#include <catch2/catch.hpp>

#include "object_builders.h"

using namespace skiff::controller;
using skiff::config::Pod;
using skiff::controller::testing::make_pod;
using skiff::controller::testing::ptrs;

namespace {

Pod pod_with(const std::string& name, skiff::config::StringMap requests,
             skiff::config::StringMap limits = {}) {
  Pod p = make_pod(name, {});
  p.spec.containers[0].resources.requests = std::move(requests);
  p.spec.containers[0].resources.limits = std::move(limits);
  return p;
}

const ResourceAmounts kNode{{"cpu", 2000}, {"memory", 1LL << 30}, {"pods", 110}};

}  // namespace

TEST_CASE("A pod requests the sum of its containers plus one pod slot", "[scheduler]") {
  Pod p = pod_with("a", {{"cpu", "250m"}, {"memory", "64Mi"}});
  skiff::config::Container second;
  second.name = "side";
  second.resources.requests = {{"cpu", "0.5"}, {"memory", "1Mi"}};
  p.spec.containers.push_back(second);
  auto r = pod_requests(p);
  REQUIRE(r.ok());
  CHECK(r->at("cpu") == 750);
  CHECK(r->at("memory") == 65LL << 20);
  CHECK(r->at("pods") == 1);
}

TEST_CASE("A limit without a request is the request, as the API server defaults it",
          "[scheduler]") {
  Pod p = pod_with("a", {{"cpu", "100m"}}, {{"cpu", "1"}, {"memory", "128Mi"}});
  auto r = pod_requests(p);
  REQUIRE(r.ok());
  CHECK(r->at("cpu") == 100);  // the request wins over the limit
  CHECK(r->at("memory") == 128LL << 20);
}

TEST_CASE("A bad quantity names the field it came from", "[scheduler]") {
  Pod p = pod_with("a", {{"memory", "12XB"}});
  auto r = pod_requests(p);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("spec.containers[0].resources.requests[memory]") &&
                                    Catch::Contains("unknown suffix"));
}

TEST_CASE("Only bound pods that have not finished hold node resources", "[scheduler]") {
  std::vector<Pod> pods{
      pod_with("running", {{"memory", "100Mi"}}), pod_with("done", {{"memory", "200Mi"}}),
      pod_with("failed", {{"memory", "300Mi"}}),  pod_with("elsewhere", {{"memory", "400Mi"}}),
      pod_with("pending", {{"memory", "500Mi"}}), pod_with("terminating", {{"memory", "1Mi"}})};
  pods[1].status.phase = "Succeeded";
  pods[2].status.phase = "Failed";
  pods[3].spec.node_name = "other";
  pods[4].spec.node_name = "";
  pods[5].metadata.deletion_timestamp = "2026-11-25T21:00:00Z";
  auto sum = allocated_on(ptrs(pods), "skiff");
  CHECK(sum.at("memory") == 101LL << 20);
  CHECK(sum.at("pods") == 2);
}

TEST_CASE("Misfits are named as kube-scheduler names them", "[scheduler]") {
  ResourceAmounts used{{"cpu", 1900}, {"memory", 900LL << 20}, {"pods", 110}};
  auto reasons = misfit_reasons({{"cpu", 200}, {"memory", 200LL << 20}, {"pods", 1}}, used, kNode);
  CHECK(reasons ==
        std::vector<std::string>{"Insufficient cpu", "Insufficient memory", "Too many pods"});
  CHECK(unschedulable_message(reasons, 1) ==
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.");
  CHECK(unschedulable_message({"Insufficient memory"}, 1) ==
        "0/1 nodes are available: 1 Insufficient memory.");
  CHECK(unschedulable_message({}, 0) == "no nodes available to schedule pods");
}

TEST_CASE("A pod fits exactly up to allocatable and not a byte beyond", "[scheduler]") {
  ResourceAmounts used{{"memory", 512LL << 20}};
  CHECK(misfit_reasons({{"memory", 512LL << 20}}, used, kNode).empty());
  CHECK(misfit_reasons({{"memory", (512LL << 20) + 1}}, used, kNode) ==
        std::vector<std::string>{"Insufficient memory"});
}

TEST_CASE("Requests larger than the node give the same Insufficient reason", "[scheduler]") {
  CHECK(misfit_reasons({{"memory", 64LL << 30}}, {}, kNode) ==
        std::vector<std::string>{"Insufficient memory"});
  CHECK(misfit_reasons({{"cpu", 64000}}, {}, kNode) ==
        std::vector<std::string>{"Insufficient cpu"});
}

TEST_CASE("Resources the node does not have make a pod that asks for them unschedulable",
          "[scheduler]") {
  CHECK(misfit_reasons({{"example.com/gpu", 1}}, {}, kNode) ==
        std::vector<std::string>{"Insufficient example.com/gpu"});
  CHECK(misfit_reasons({{"example.com/gpu", 0}, {"cpu", 0}}, {}, kNode).empty());
}

TEST_CASE("Sums saturate instead of wrapping into room that is not there", "[scheduler]") {
  std::vector<Pod> pods{pod_with("a", {{"memory", "7Ei"}}), pod_with("b", {{"memory", "7Ei"}})};
  auto sum = allocated_on(ptrs(pods), "skiff");
  CHECK(sum.at("memory") == std::numeric_limits<int64_t>::max());
  CHECK(misfit_reasons({{"memory", 1}}, sum, kNode) ==
        std::vector<std::string>{"Insufficient memory"});
}

TEST_CASE("A pass places pods in queue order and a misfit does not block smaller pods",
          "[scheduler]") {
  std::vector<PendingPod> queue{
      {"first", {{"memory", 600LL << 20}, {"pods", 1}}},
      {"second", {{"memory", 600LL << 20}, {"pods", 1}}},  // no room after the first
      {"third", {{"memory", 300LL << 20}, {"pods", 1}}},   // still fits beside the first
      {"fourth", {{"memory", 200LL << 20}, {"pods", 1}}},  // 600+300+200 > 1024
  };
  auto out = place(queue, {}, kNode);
  REQUIRE(out.size() == 4);
  CHECK(out[0].uid == "first");
  CHECK(out[0].bind);
  CHECK_FALSE(out[1].bind);
  CHECK(out[1].reasons == std::vector<std::string>{"Insufficient memory"});
  CHECK(out[2].bind);
  CHECK_FALSE(out[3].bind);
}

TEST_CASE("The pods count limits placement too", "[scheduler]") {
  ResourceAmounts node{{"cpu", 1000}, {"memory", 1LL << 30}, {"pods", 2}};
  std::vector<PendingPod> queue{{"a", {{"pods", 1}}}, {"b", {{"pods", 1}}}, {"c", {{"pods", 1}}}};
  auto out = place(queue, {{"pods", 1}}, node);
  CHECK(out[0].bind);
  CHECK_FALSE(out[1].bind);
  CHECK(out[1].reasons == std::vector<std::string>{"Too many pods"});
  CHECK_FALSE(out[2].bind);
}
