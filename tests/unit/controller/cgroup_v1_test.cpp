// CgroupManager on cgroup v1 hierarchies (memory, and cpu mounted with cpuacct), against a fake
// cgroupfs in a temp dir (cgroup_fake_tree.h).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cgroup_fake_tree.h"
#include "controller/engine/cgroup.h"

using namespace skiff::controller::engine;
using skiff::testing::FakeCgroupTree;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMi = 1024 * 1024;

// A v1 machine as systemd mounts it: memory on its own, cpu and cpuacct together under
// "cpu,cpuacct" with a "cpu" symlink; the daemon in /m/daemon (memory) and /c/daemon (cpu).
struct V1Machine {
  FakeCgroupTree tree;
  fs::path memory_own, cpu_own;
  explicit V1Machine(bool memsw = true) {
    tree.put("memory/cgroup.procs", "1\n");
    tree.put("cpu,cpuacct/cgroup.procs", "1\n");
    fs::create_directory_symlink("cpu,cpuacct", tree.root() / "cpu");
    memory_own = tree.kernel_mkdir("memory/m/daemon", {"cgroup.procs"});
    cpu_own = tree.kernel_mkdir("cpu,cpuacct/c/daemon", {"cgroup.procs"});
    memsw_ = memsw;
  }
  static std::string proc_self() {
    return "12:pids:/p\n4:memory:/m/daemon\n2:cpu,cpuacct:/c/daemon\n1:name=systemd:/s\n0::/s\n";
  }
  fs::path memory_cgroup(const std::string& uid, const std::string& name) {
    if (memsw_) {
      return tree.kernel_mkdir("memory/m/daemon/skiff/" + uid + "/" + name,
                               {"cgroup.procs", "memory.limit_in_bytes",
                                "memory.memsw.limit_in_bytes", "memory.oom_control"});
    }
    return tree.kernel_mkdir("memory/m/daemon/skiff/" + uid + "/" + name,
                             {"cgroup.procs", "memory.limit_in_bytes", "memory.oom_control"});
  }
  fs::path cpu_cgroup(const std::string& uid, const std::string& name) {
    return tree.kernel_mkdir(
        "cpu,cpuacct/c/daemon/skiff/" + uid + "/" + name,
        {"cgroup.procs", "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares"});
  }

 private:
  bool memsw_ = true;
};

bool root_user() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("cgroup v1 is found by the memory and cpu hierarchies", "[cgroup][v1]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V1Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
  INFO(m.unavailable());
  CHECK(m.unavailable().empty());
  CHECK(m.version() == 1);

  SECTION("without a cpu hierarchy") {
    fs::remove(machine.tree.root() / "cpu");
    auto none = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    CHECK(none.version() == 0);
    CHECK_THAT(none.unavailable(), Catch::Contains("cgroup v1: no cpu hierarchy at " +
                                                   (machine.tree.root() / "cpu").string()));
  }
  SECTION("without a memory hierarchy") {
    fs::remove_all(machine.tree.root() / "memory");
    auto none = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    CHECK(none.version() == 0);
    CHECK_THAT(none.unavailable(), Catch::Contains("cgroup v1: no memory hierarchy at"));
  }
  SECTION("with the daemon's cgroup not in the mount (a v1 container's bind mount)") {
    auto none = CgroupManager::detect(machine.tree.root(),
                                      "4:memory:/docker/0123\n2:cpu,cpuacct:/docker/0123\n");
    CHECK(none.version() == 0);
    CHECK_THAT(none.unavailable(),
               Catch::Contains((machine.tree.root() / "memory/docker/0123").string()) &&
                   Catch::Contains("No such file or directory"));
  }
}

TEST_CASE("cgroup v1 create writes the memory limit with swap off and the CFS quota",
          "[cgroup][v1]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  auto read = [](const fs::path& p) { return FakeCgroupTree::read(p); };

  SECTION("memory and cpu with a request") {
    V1Machine machine;
    auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    REQUIRE(m.version() == 1);
    const fs::path mem = machine.memory_cgroup("pod-uid", "app");
    const fs::path cpu = machine.cpu_cgroup("pod-uid", "app");
    machine.tree.put(mem / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
    auto cg = m.create("pod-uid", "app", ContainerLimits{64 * kMi, 500, 250});
    INFO((cg.ok() ? std::string() : cg.error().message));
    REQUIRE(cg.ok());
    // Each hierarchy has its own folder under the daemon's cgroup in it; cpu through its
    // symlink, as /sys/fs/cgroup/cpu is on Debian.
    CHECK(cg->dirs ==
          std::vector<fs::path>{machine.memory_own / "skiff/pod-uid/app",
                                machine.tree.root() / "cpu/c/daemon/skiff/pod-uid/app"});
    CHECK(cg->procs_files() ==
          std::vector<std::string>{(machine.memory_own / "skiff/pod-uid/app/cgroup.procs").string(),
                                   (machine.tree.root() / "cpu/c/daemon/skiff/pod-uid/app/"
                                                          "cgroup.procs")
                                       .string()});
    CHECK(read(mem / "memory.limit_in_bytes") == "67108864");
    CHECK(read(mem / "memory.memsw.limit_in_bytes") == "67108864");  // no swap on top
    CHECK(read(cpu / "cpu.cfs_period_us") == "100000");
    CHECK(read(cpu / "cpu.cfs_quota_us") == "50000");
    CHECK(read(cpu / "cpu.shares") == "256");
    CHECK(cg->oom_file == machine.memory_own / "skiff/pod-uid/app/memory.oom_control");
    CHECK(cg->oom_kills_at_start == 5u);
  }
  SECTION("without swap accounting memsw is neither there nor needed") {
    V1Machine machine(/*memsw=*/false);
    auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    REQUIRE(m.version() == 1);
    const fs::path mem = machine.memory_cgroup("pod-uid", "app");
    auto cg = m.create("pod-uid", "app", ContainerLimits{32 * kMi, 0, 0});
    REQUIRE(cg.ok());
    CHECK(cg->dirs == std::vector<fs::path>{mem});  // memory only: no cpu folder
    CHECK(read(mem / "memory.limit_in_bytes") == std::to_string(32 * kMi));
    CHECK_FALSE(fs::exists(mem / "memory.memsw.limit_in_bytes"));
    CHECK_FALSE(fs::exists(machine.cpu_own / "skiff"));
  }
  SECTION("cpu only: shares from the limit, no memory folder and no OOM counter") {
    V1Machine machine;
    auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    REQUIRE(m.version() == 1);
    const fs::path cpu = machine.cpu_cgroup("pod-uid", "app");
    auto cg = m.create("pod-uid", "app", ContainerLimits{0, 2000, 0});
    REQUIRE(cg.ok());
    CHECK(cg->dirs.size() == 1);
    CHECK(read(cpu / "cpu.cfs_quota_us") == "200000");
    CHECK(read(cpu / "cpu.shares") == "2048");
    CHECK(cg->oom_file.empty());
    CHECK_FALSE(m.oom_killed(*cg));
    CHECK_FALSE(fs::exists(machine.memory_own / "skiff"));
  }
  SECTION("a write failure names the file") {
    V1Machine machine;
    auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
    REQUIRE(m.version() == 1);
    machine.memory_cgroup("pod-uid", "app");
    const fs::path cpu = machine.cpu_cgroup("pod-uid", "app");
    fs::remove(cpu / "cpu.cfs_quota_us");
    fs::create_directory(cpu / "cpu.cfs_quota_us");
    auto cg = m.create("pod-uid", "app", ContainerLimits{64 * kMi, 500, 0});
    REQUIRE_FALSE(cg.ok());
    CHECK(cg.error().reason == "RunContainerError");
    CHECK_THAT(cg.error().message,
               Catch::Contains((machine.tree.root() / "cpu/c/daemon/skiff/pod-uid/app/"
                                                      "cpu.cfs_quota_us")
                                   .string()) &&
                   Catch::Contains("Is a directory"));
  }
}

TEST_CASE("cgroup v1 adoption finds both folders and OOM kills are told by oom_control",
          "[cgroup][v1]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V1Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V1Machine::proc_self());
  REQUIRE(m.version() == 1);
  const fs::path mem = machine.memory_cgroup("uid", "app");
  machine.cpu_cgroup("uid", "app");
  machine.tree.put(mem / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
  auto made = m.create("uid", "app", ContainerLimits{64 * kMi, 500, 0});
  REQUIRE(made.ok());
  CHECK_FALSE(m.oom_killed(*made));
  machine.tree.put(mem / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  CHECK(m.oom_killed(*made));

  auto found = m.find("uid", "app");
  CHECK(found.dirs == made->dirs);
  CHECK(found.oom_file == made->oom_file);
  CHECK(found.oom_kills_at_start == 1u);
  CHECK_FALSE(m.oom_killed(found));

  // A container with a cpu limit only has no memory folder to find.
  machine.cpu_cgroup("uid", "cpu-only");
  auto cpu_only = m.find("uid", "cpu-only");
  CHECK(cpu_only.dirs.size() == 1);
  CHECK(cpu_only.oom_file.empty());
  CHECK(m.find("uid", "missing").empty());
}
