// env[].valueFrom.resourceFieldRef with a real daemon on the process engine: a container sees
// its own limits and requests, and another container's unset limit as the node's allocatable,
// in the units its divisor asks for; a manifest with a bad resourceFieldRef is refused at apply
// with the field path and the API server's words.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;

namespace {

fs::path write_file(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / ("skiff-resfield-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

// "app" prints what it reads, then stays up; "idle" has no requests or limits.
constexpr const char* kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: sized
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: host/sh
    command: ["sh", "-c"]
    args:
    - printf '%s|%s|%s|%s|%s|%s|%s\n' "$CPU_LIMIT" "$CPU_CORES" "$MEM_LIMIT_MI" "$MEM_REQUEST"
      "$CPU_REQUEST" "$IDLE_CPU" "$IDLE_MEM_REQUEST" && exec sleep 600
    resources:
      requests: {memory: 64Mi}
      limits: {cpu: 250m, memory: 128Mi}
    env:
    - name: CPU_LIMIT
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
    - name: CPU_CORES
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: MEM_LIMIT_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MEM_REQUEST
      valueFrom: {resourceFieldRef: {containerName: app, resource: requests.memory, divisor: 1}}
    - name: CPU_REQUEST
      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
    - name: IDLE_CPU
      valueFrom: {resourceFieldRef: {containerName: idle, resource: limits.cpu, divisor: 1m}}
    - name: IDLE_MEM_REQUEST
      valueFrom: {resourceFieldRef: {containerName: idle, resource: requests.memory}}
  - name: idle
    image: host/sh
    command: ["sleep", "600"]
)";

constexpr const char* kBadPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: badsized
spec:
  containers:
  - name: app
    image: host/sh
    command: ["sleep", "600"]
    env:
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 3m}}
    - name: GPU
      valueFrom: {resourceFieldRef: {resource: limits.gpu}}
    - name: OTHER
      valueFrom: {resourceFieldRef: {containerName: sidecar, resource: limits.memory}}
)";

}  // namespace

TEST_CASE("a container reads its requests and limits through resourceFieldRef") {
  Daemon::Options o;
  o.api_port = 25300;
  o.node_address = "127.31.0.1";
  o.pod_cidr = "127.31.1.0/24";
  o.service_cidr = "127.31.2.0/24";
  Daemon d(o);
  // Allocatable: 3 CPUs less the default 100m reserve.
  d.start({"--node-cpu", "3", "--node-memory", "4Gi"});
  REQUIRE(eventually([&] { return d.skiff("get pods").exit_code == 0; }, 30000ms));
  INFO(d.log());

  auto applied = d.skiff("apply -f " + write_file("sized.yaml", kPod).string());
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.output.find("unknown field") == std::string::npos);
  std::string logs;
  REQUIRE(eventually(
      [&] {
        logs = d.skiff("logs sized -c app").output;
        return logs.find('\n') != std::string::npos;
      },
      30000ms));
  // 250m over 1m; 250m rounded up to whole CPUs; 128Mi over 1Mi; 64Mi in bytes; no cpu request
  // and a cpu limit: the request defaults to the limit; idle's unset cpu limit is the node's
  // allocatable 2900m; idle's unset memory request with no limit is 0.
  CHECK(logs == "250|1|128|67108864|250|2900|0\n");
  // describe shows the value and the resource, as kubectl does.
  auto described = d.skiff("describe pod sized");
  CHECK(described.output.find("250 (limits.cpu)") != std::string::npos);
  CHECK(described.output.find("128 (limits.memory)") != std::string::npos);

  auto refused = d.skiff("apply -f " + write_file("badsized.yaml", kBadPod).string());
  INFO(refused.output);
  CHECK(refused.exit_code != 0);
  const std::string env = "spec.containers[0].env";
  CHECK(refused.output.find(env +
                            "[0].valueFrom.resourceFieldRef.divisor: Invalid value: "
                            "\"limits.cpu\": only divisor's values 1m and 1 are supported with "
                            "the cpu resource") != std::string::npos);
  CHECK(refused.output.find(env + "[1].valueFrom.resourceFieldRef.resource: Unsupported value: "
                                  "\"limits.gpu\": supported values: \"limits.cpu\"") !=
        std::string::npos);
  CHECK(refused.output.find(env + "[2].valueFrom.resourceFieldRef.containerName: Not found: "
                                  "\"sidecar\"") != std::string::npos);
  CHECK(d.skiff("get pod badsized").exit_code != 0);
  CHECK(d.stop() == 0);
}
