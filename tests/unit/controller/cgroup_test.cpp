#include "controller/engine/cgroup.h"

#include <catch2/catch.hpp>

using namespace skiff::controller::engine;

TEST_CASE("Own cgroups are read per controller from /proc/self/cgroup", "[cgroup]") {
  auto m = parse_proc_cgroup(
      "12:memory:/process_api/3a8e\n"
      "2:cpu,cpuacct:/user.slice\n"
      "1:name=systemd:/init.scope\n"
      "0::/unified/path\n");
  CHECK(m.at("memory") == "/process_api/3a8e");
  CHECK(m.at("cpu") == "/user.slice");
  CHECK(m.at("cpuacct") == "/user.slice");
  CHECK(m.at("name=systemd") == "/init.scope");
  CHECK(m.at("") == "/unified/path");
  CHECK(parse_proc_cgroup("").empty());
  CHECK(parse_proc_cgroup("garbage\nno colons here\n").empty());
}

TEST_CASE("The OOM kill counter is read from oom_control and memory.events", "[cgroup]") {
  CHECK(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n") == 3u);
  CHECK(parse_oom_kill_count("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n") == 1u);
  CHECK_FALSE(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\n").has_value());
  CHECK_FALSE(parse_oom_kill_count("oom_kill x\n").has_value());
  CHECK_FALSE(parse_oom_kill_count("").has_value());
}

TEST_CASE("CPU limits become CFS quotas and shares as kubelet computes them", "[cgroup]") {
  CHECK(cpu_quota_us(500) == 50000);
  CHECK(cpu_quota_us(2000) == 200000);
  CHECK(cpu_quota_us(1) == 1000);  // at least 1 ms
  CHECK(cpu_quota_us(250, 50000) == 12500);
  CHECK(cpu_shares(1000) == 1024);
  CHECK(cpu_shares(100) == 102);
  CHECK(cpu_shares(1) == 2);
  CHECK(cpu_weight(2) == 1);
  CHECK(cpu_weight(1024) == 39);
  CHECK(cpu_weight(262144) == 10000);
}

TEST_CASE("A container without limits gets no cgroup at all", "[cgroup]") {
  auto m = CgroupManager::detect("/nonexistent-cgroup-root", "0::/\n");
  CHECK_FALSE(m.unavailable().empty());
  auto cg = m.create("uid", "app", ContainerLimits{});
  REQUIRE(cg.ok());
  CHECK(cg->empty());
  auto limited = m.create("uid", "app", ContainerLimits{64 << 20, 0, 0});
  CHECK_FALSE(limited.ok());
}
