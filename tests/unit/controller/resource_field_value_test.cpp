// env[].valueFrom.resourceFieldRef resolved as kubelet resolves it: the quantity over the
// divisor, rounded up; an unset limit is the node's allocatable, an unset request the limit.
#include <catch2/catch.hpp>

#include "controller/env_resolver.h"

using namespace skiff::controller;
using skiff::config::Container;
using skiff::config::EnvVar;
using skiff::config::EnvVarSource;
using skiff::config::Pod;
using skiff::config::ResourceFieldSelector;

namespace {

Pod pod_with(const skiff::config::StringMap& requests, const skiff::config::StringMap& limits) {
  Pod pod;
  pod.metadata.name = "web-1";
  pod.metadata.namespace_ = "shop";
  Container c;
  c.name = "app";
  c.image = "busybox";
  c.resources.requests = requests;
  c.resources.limits = limits;
  pod.spec.containers.push_back(c);
  Container side;
  side.name = "side";
  side.image = "busybox";
  side.resources.limits = {{"cpu", "2"}, {"memory", "1Gi"}};
  pod.spec.containers.push_back(side);
  return pod;
}

EnvFieldContext node(skiff::config::StringMap allocatable = {{"cpu", "3900m"},
                                                             {"memory", "7680Mi"}}) {
  return EnvFieldContext{"127.31.1.5", "127.31.0.1", std::move(allocatable)};
}

// The value `resource` / `divisor` reads in the pod's first container.
std::string value(const Pod& pod, const std::string& resource, const std::string& divisor = "",
                  const EnvFieldContext& fields = node(), const std::string& container = "") {
  auto v = resource_field_value(pod, pod.spec.containers.at(0),
                                ResourceFieldSelector{container, resource, divisor}, fields);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("a cpu limit reads as whole CPUs rounded up, or as millicores") {
  const Pod pod = pod_with({}, {{"cpu", "250m"}});
  CHECK(value(pod, "limits.cpu") == "1");
  CHECK(value(pod, "limits.cpu", "1") == "1");
  CHECK(value(pod, "limits.cpu", "1m") == "250");
  CHECK(value(pod, "limits.cpu", "1000m") == "1");
  CHECK(value(pod, "limits.cpu", "0") == "1");  // zero is the unset divisor
  CHECK(value(pod_with({}, {{"cpu", "2"}}), "limits.cpu") == "2");
  CHECK(value(pod_with({}, {{"cpu", "2001m"}}), "limits.cpu") == "3");
  CHECK(value(pod_with({}, {{"cpu", "0.5"}}), "limits.cpu", "1m") == "500");
}

TEST_CASE("memory reads as bytes over the divisor, rounded up") {
  const Pod pod = pod_with({{"memory", "100M"}}, {{"memory", "128Mi"}});
  CHECK(value(pod, "limits.memory", "1Mi") == "128");
  CHECK(value(pod, "limits.memory") == "134217728");
  CHECK(value(pod, "limits.memory", "1Gi") == "1");  // 0.125 rounds up
  CHECK(value(pod, "limits.memory", "1k") == "134218");
  CHECK(value(pod, "requests.memory", "1M") == "100");
  CHECK(value(pod, "requests.memory", "1Mi") == "96");  // 95.37 rounds up
  CHECK(value(pod_with({}, {{"memory", "1Ei"}}), "limits.memory", "1Ei") == "1");
}

TEST_CASE("a limit that is not set reads as the node's allocatable") {
  const Pod pod = pod_with({{"cpu", "100m"}}, {});
  CHECK(value(pod, "limits.cpu") == "4");  // 3900m
  CHECK(value(pod, "limits.cpu", "1m") == "3900");
  CHECK(value(pod, "limits.memory", "1Mi") == "7680");
  // skiff accounts no ephemeral storage: the Node's allocatable when it shows one, else 0.
  CHECK(value(pod, "limits.ephemeral-storage") == "0");
  CHECK(value(pod, "limits.ephemeral-storage", "1Gi", node({{"ephemeral-storage", "20Gi"}})) ==
        "20");
}

TEST_CASE("a request that is not set reads as the limit, then as 0") {
  CHECK(value(pod_with({}, {{"cpu", "500m"}}), "requests.cpu", "1m") == "500");
  CHECK(value(pod_with({}, {{"memory", "64Mi"}}), "requests.memory", "1Mi") == "64");
  // No request and no limit: 0, never the node's allocatable.
  CHECK(value(pod_with({}, {}), "requests.cpu", "1m") == "0");
  CHECK(value(pod_with({}, {}), "requests.memory") == "0");
  CHECK(value(pod_with({}, {}), "requests.ephemeral-storage") == "0");
  // A request that is set wins over the limit.
  CHECK(value(pod_with({{"cpu", "100m"}}, {{"cpu", "1"}}), "requests.cpu", "1m") == "100");
}

TEST_CASE("containerName reads another container of the pod") {
  const Pod pod = pod_with({}, {{"cpu", "250m"}});
  CHECK(value(pod, "limits.cpu", "1m", node(), "side") == "2000");
  CHECK(value(pod, "requests.memory", "1Mi", node(), "side") == "1024");
  CHECK(value(pod, "limits.cpu", "1m", node(), "app") == "250");
  auto missing = resource_field_value(pod, pod.spec.containers[0],
                                      ResourceFieldSelector{"gone", "limits.cpu", ""}, node());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "container gone not found");
  auto unsupported = resource_field_value(pod, pod.spec.containers[0],
                                          ResourceFieldSelector{"", "limits.gpu", ""}, node());
  REQUIRE_FALSE(unsupported);
  CHECK(unsupported.error().message == "unsupported container resource : limits.gpu");
}

TEST_CASE("resolve_env sets resourceFieldRef variables in env order") {
  Pod pod = pod_with({{"memory", "64Mi"}}, {{"cpu", "250m"}, {"memory", "128Mi"}});
  auto& c = pod.spec.containers[0];
  auto from_resource = [](const std::string& name, const std::string& resource,
                          const std::string& divisor) {
    EnvVarSource src;
    src.resource_field_ref = ResourceFieldSelector{"", resource, divisor};
    return EnvVar{name, "", src};
  };
  c.env = {from_resource("GOMAXPROCS", "limits.cpu", ""), EnvVar{"MEM_MI", "x", std::nullopt},
           from_resource("MEM_MI", "limits.memory", "1Mi"),
           from_resource("MEM_REQUEST", "requests.memory", "")};
  auto resolved = resolve_env(pod, c, node(), ConfigLookup{});
  REQUIRE(resolved);
  REQUIRE(resolved->env.size() == 3);
  CHECK(resolved->env[0].name == "GOMAXPROCS");
  CHECK(resolved->env[0].value == "1");
  CHECK(resolved->env[1].name == "MEM_MI");  // replaced in place
  CHECK(resolved->env[1].value == "128");
  CHECK(resolved->env[2].value == "67108864");

  c.env.push_back(from_resource("BAD", "limits.cpu", ""));
  c.env.back().value_from->resource_field_ref->container_name = "nope";
  auto failed = resolve_env(pod, c, node(), ConfigLookup{});
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "container nope not found");
}
