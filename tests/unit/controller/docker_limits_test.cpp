#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "controller/engine/docker_api.h"

using namespace skiff::controller::engine;

TEST_CASE("Docker containers get the limits as HostConfig Memory and NanoCpus",
          "[docker][limits]") {
  ContainerRequest r;
  r.image = "busybox";
  r.argv = {"sleep", "1"};
  r.limits = ResourceLimits{64LL << 20, 500, 250};
  auto body = nlohmann::json::parse(docker::container_create_body(r, "d1", "sandbox"));
  const auto& host = body["HostConfig"];
  CHECK(host["Memory"] == 64LL << 20);
  CHECK(host["MemorySwap"] == 64LL << 20);  // no swap beyond the limit
  CHECK(host["NanoCpus"] == 500000000LL);
  CHECK(host["CpuShares"] == 256);
}

TEST_CASE("Docker containers without limits get none", "[docker][limits]") {
  ContainerRequest r;
  r.image = "busybox";
  r.argv = {"sleep", "1"};
  auto body = nlohmann::json::parse(docker::container_create_body(r, "d1", "sandbox"));
  const auto& host = body["HostConfig"];
  CHECK_FALSE(host.contains("Memory"));
  CHECK_FALSE(host.contains("NanoCpus"));
  CHECK_FALSE(host.contains("CpuShares"));
}
