// CgroupManager on the unified hierarchy (cgroup v2), against a fake cgroupfs in a temp dir
// (cgroup_fake_tree.h says what it stands in for and what it cannot).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cgroup_fake_tree.h"
#include "controller/engine/cgroup.h"

using namespace skiff::controller::engine;
using skiff::testing::FakeCgroupTree;
using skiff::testing::SleepChild;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMi = 1024 * 1024;

// The files mkdir makes in a v2 cgroup with memory and cpu enabled by its parent.
constexpr std::initializer_list<const char*> kV2Files = {
    "cgroup.procs", "cgroup.type",     "cgroup.controllers", "cgroup.subtree_control",
    "memory.max",   "memory.swap.max", "memory.oom.group",   "memory.events",
    "cpu.max",      "cpu.weight"};

// A v2 machine: the root with cgroup.controllers, the daemon in /system.slice/skiff.service
// with memory and cpu delegated, no process in it (or `own_procs`).
struct V2Machine {
  FakeCgroupTree tree;
  fs::path own;
  explicit V2Machine(const std::string& own_procs = {},
                     const std::string& controllers = "cpuset cpu io memory pids") {
    tree.put("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    tree.put("cgroup.procs", "1\n");
    own = tree.kernel_mkdir("system.slice/skiff.service", {"cgroup.subtree_control"});
    tree.put("system.slice/skiff.service/cgroup.controllers", controllers + "\n");
    tree.put("system.slice/skiff.service/cgroup.type", "domain\n");
    tree.put("system.slice/skiff.service/cgroup.procs", own_procs);
  }
  static std::string proc_self() { return "0::/system.slice/skiff.service\n"; }
  // The folders and files the kernel would have under skiff/<uid>/<name>.
  fs::path container(const std::string& uid, const std::string& name,
                     std::initializer_list<const char*> files = kV2Files) {
    const std::string base = "system.slice/skiff.service/skiff/";
    tree.kernel_mkdir(base, {"cgroup.subtree_control"});
    tree.kernel_mkdir(base + uid, {"cgroup.subtree_control"});
    return tree.kernel_mkdir(base + uid + "/" + name, files);
  }
};

bool root_user() { return ::geteuid() == 0; }

}  // namespace

TEST_CASE("cgroup v2 is found by cgroup.controllers and delegates below the 0:: cgroup",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  // The hybrid line of a v1 controller is ignored: v2 has one hierarchy.
  auto m =
      CgroupManager::detect(machine.tree.root(), "4:memory:/elsewhere\n" + V2Machine::proc_self());
  INFO(m.unavailable());
  CHECK(m.unavailable().empty());
  CHECK(m.version() == 2);
  // memory and cpu are enabled for the daemon's children; nothing else is touched.
  CHECK(FakeCgroupTree::read(machine.own / "cgroup.subtree_control") == "+memory +cpu");
  CHECK_FALSE(fs::exists(machine.own / kDaemonLeaf));
  CHECK(FakeCgroupTree::read(machine.tree.root() / "cgroup.procs") == "1\n");
}

TEST_CASE("cgroup v2 without memory or cpu in the daemon's cgroup says which is missing",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  for (const auto& [controllers, missing] :
       {std::pair<std::string, std::string>{"cpu io pids", "memory"},
        {"memory pids", "cpu"},
        {"cpuset io", "memory"},
        {"", "memory"}}) {
    V2Machine machine("", controllers);
    auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
    INFO(controllers << " -> " << m.unavailable());
    CHECK(m.version() == 0);
    CHECK_THAT(m.unavailable(),
               Catch::Contains("the " + missing + " controller is not available in " +
                               machine.own.string()) &&
                   Catch::Contains("Delegate=yes"));
    CHECK(FakeCgroupTree::read(machine.own / "cgroup.subtree_control").empty());
    // Limits are then refused, not silently dropped.
    CHECK_FALSE(m.create("uid", "app", ContainerLimits{64 * kMi, 0, 0}).ok());
  }
  // "cpuset" does not pass for "cpu": whole words only.
  V2Machine cpuset("", "cpuset memory");
  CHECK_THAT(CgroupManager::detect(cpuset.tree.root(), V2Machine::proc_self()).unavailable(),
             Catch::Contains("the cpu controller is not available"));
}

TEST_CASE("cgroup v2 with the daemon's cgroup missing from the mount says so", "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), "0::/docker/0123abcd\n");
  CHECK(m.version() == 0);
  CHECK_THAT(
      m.unavailable(),
      Catch::Contains("the daemon's cgroup /docker/0123abcd") &&
          Catch::Contains("is not at " + (machine.tree.root() / "docker/0123abcd").string()));
}

TEST_CASE("cgroup v2 moves the daemon out of its cgroup before enabling controllers",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  // systemd's Delegate=yes leaves the service's main process in the delegated cgroup; the
  // kernel refuses "+memory" there (EBUSY) until it holds no process.
  const std::string self = std::to_string(::getpid());
  V2Machine machine(self + "\n");
  machine.tree.kernel_mkdir(machine.own / kDaemonLeaf, {"cgroup.procs", "cgroup.type"});
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  INFO(m.unavailable());
  CHECK(m.unavailable().empty());
  CHECK(m.version() == 2);
  CHECK(FakeCgroupTree::read(machine.own / kDaemonLeaf / "cgroup.procs") == self);
  CHECK(FakeCgroupTree::read(machine.own / "cgroup.subtree_control") == "+memory +cpu");
  // Containers still go to <own>/skiff, beside the daemon's leaf.
  const fs::path dir = machine.container("uid-1", "app");
  auto cg = m.create("uid-1", "app", ContainerLimits{64 * kMi, 0, 0});
  REQUIRE(cg.ok());
  CHECK(cg->dirs == std::vector<fs::path>{dir});
}

TEST_CASE("cgroup v2 leaves other processes where they are and says why it cannot delegate",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  // A login session: the shell and sudo share the daemon's scope.
  const std::string self = std::to_string(::getpid());
  V2Machine machine("4242\n" + self + "\n4343\n");
  machine.tree.kernel_mkdir(machine.own / kDaemonLeaf, {"cgroup.procs"});
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  CHECK(m.version() == 0);
  CHECK_THAT(m.unavailable(),
             Catch::Contains(machine.own.string() + " holds processes besides the daemon (4242, "
                                                    "4343)") &&
                 Catch::Contains("no-internal-process rule") && Catch::Contains("Delegate=yes"));
  // Nobody moved, nothing enabled.
  CHECK(FakeCgroupTree::read(machine.own / kDaemonLeaf / "cgroup.procs").empty());
  CHECK(FakeCgroupTree::read(machine.own / "cgroup.subtree_control").empty());

  // Many: a few are named.
  V2Machine crowded("1\n2\n3\n4\n5\n6\n7\n");
  CHECK_THAT(CgroupManager::detect(crowded.tree.root(), V2Machine::proc_self()).unavailable(),
             Catch::Contains("(1, 2, 3, 4, 5, ...)"));
}

TEST_CASE("cgroup v2 at the root delegates with processes in it", "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  // The root cgroup has no cgroup.type and is exempt from the no-internal-process rule.
  FakeCgroupTree tree;
  tree.put("cgroup.controllers", "cpu memory pids\n");
  tree.put("cgroup.procs", "1\n" + std::to_string(::getpid()) + "\n");
  tree.put("cgroup.subtree_control", "");
  auto m = CgroupManager::detect(tree.root(), "0::/\n");
  INFO(m.unavailable());
  CHECK(m.version() == 2);
  CHECK(FakeCgroupTree::read(tree.root() / "cgroup.subtree_control") == "+memory +cpu");
  CHECK_FALSE(fs::exists(tree.root() / kDaemonLeaf));

  // A container's namespace root also reads "0::/" but is not the kernel's root: it has a
  // cgroup.type, so a shell beside the daemon there keeps limits off.
  tree.put("cgroup.type", "domain\n");
  auto in_container = CgroupManager::detect(tree.root(), "0::/\n");
  CHECK(in_container.version() == 0);
  CHECK_THAT(in_container.unavailable(), Catch::Contains("holds processes besides the daemon (1)"));
}

TEST_CASE("cgroup v2 restarted inside the daemon leaf delegates from the same cgroup",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  const std::string self = std::to_string(::getpid());
  machine.tree.put(machine.own / kDaemonLeaf / "cgroup.procs", self + "\n");
  machine.tree.put(machine.own / "cgroup.subtree_control", "");
  // A container the earlier daemon started: the new one must find it.
  const fs::path dir = machine.container("uid-1", "app");
  machine.tree.put(dir / "memory.events", "oom 0\noom_kill 0\n");
  auto m = CgroupManager::detect(
      machine.tree.root(), "0::/system.slice/skiff.service/" + std::string(kDaemonLeaf) + "\n");
  INFO(m.unavailable());
  REQUIRE(m.version() == 2);
  CHECK(FakeCgroupTree::read(machine.own / "cgroup.subtree_control") == "+memory +cpu");
  CHECK_FALSE(fs::exists(machine.own / kDaemonLeaf / kDaemonLeaf));
  CHECK(m.find("uid-1", "app").dirs == std::vector<fs::path>{dir});
}

TEST_CASE("cgroup v2 that cannot enable controllers names the file", "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  fs::remove(machine.own / "cgroup.subtree_control");
  fs::create_directory(machine.own / "cgroup.subtree_control");  // open(O_WRONLY): EISDIR
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  CHECK(m.version() == 0);
  CHECK_THAT(m.unavailable(),
             Catch::Contains("cannot enable memory and cpu") &&
                 Catch::Contains((machine.own / "cgroup.subtree_control").string()));
}

TEST_CASE("cgroup v2 create writes memory.max, swap off, cpu.max and cpu.weight", "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  REQUIRE(m.version() == 2);
  const fs::path skiff = machine.own / "skiff";
  auto read = [](const fs::path& p) { return FakeCgroupTree::read(p); };

  SECTION("memory and cpu limits with a cpu request") {
    const fs::path dir = machine.container("pod-uid-1", "app");
    machine.tree.put(dir / "memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
    auto cg = m.create("pod-uid-1", "app", ContainerLimits{64 * kMi, 500, 250});
    INFO((cg.ok() ? std::string() : cg.error().message));
    REQUIRE(cg.ok());
    CHECK(cg->dirs == std::vector<fs::path>{skiff / "pod-uid-1" / "app"});
    CHECK(cg->procs_files() == std::vector<std::string>{(dir / "cgroup.procs").string()});
    CHECK(read(dir / "memory.max") == "67108864");
    CHECK(read(dir / "memory.swap.max") == "0");
    CHECK(read(dir / "memory.oom.group") == "1");
    CHECK(read(dir / "cpu.max") == "50000 100000");
    CHECK(read(dir / "cpu.weight") == std::to_string(cpu_weight(cpu_shares(250))));
    CHECK(read(dir / "cpu.weight") == "10");
    // Controllers flow down: skiff's folder and the pod's enable them for their children.
    CHECK(read(skiff / "cgroup.subtree_control") == "+memory +cpu");
    CHECK(read(skiff / "pod-uid-1" / "cgroup.subtree_control") == "+memory +cpu");
    // The leaf holds the process, so nothing is enabled below it.
    CHECK(read(dir / "cgroup.subtree_control").empty());
    CHECK(cg->oom_file == dir / "memory.events");
    CHECK(cg->oom_kills_at_start == 2u);
  }
  SECTION("memory only: cpu.max is max with the period and the weight the kernel's default") {
    const fs::path dir = machine.container("pod-uid-2", "db");
    auto cg = m.create("pod-uid-2", "db", ContainerLimits{128 * kMi, 0, 0});
    REQUIRE(cg.ok());
    CHECK(read(dir / "memory.max") == std::to_string(128 * kMi));
    CHECK(read(dir / "memory.swap.max") == "0");
    CHECK(read(dir / "cpu.max") == "max 100000");
    CHECK(read(dir / "cpu.weight") == "100");
  }
  SECTION("cpu only: memory.max is max, swap unrestricted, the weight from the limit") {
    const fs::path dir = machine.container("pod-uid-3", "worker");
    machine.tree.put(dir / "memory.events", "oom_kill 0\n");
    auto cg = m.create("pod-uid-3", "worker", ContainerLimits{0, 1500, 0});
    REQUIRE(cg.ok());
    CHECK(read(dir / "memory.max") == "max");
    CHECK(read(dir / "memory.swap.max") == "max");
    CHECK(read(dir / "cpu.max") == "150000 100000");
    CHECK(read(dir / "cpu.weight") == std::to_string(cpu_weight(cpu_shares(1500))));
    // Any OOM kill of its processes counts, not only the limit's.
    CHECK(cg->oom_file == dir / "memory.events");
  }
  SECTION("without swap accounting memory.swap.max is absent and not needed") {
    const fs::path dir = machine.container("pod-uid-4", "app",
                                           {"cgroup.procs", "memory.max", "memory.events",
                                            "memory.oom.group", "cpu.max", "cpu.weight"});
    auto cg = m.create("pod-uid-4", "app", ContainerLimits{64 * kMi, 100, 0});
    INFO((cg.ok() ? std::string() : cg.error().message));
    REQUIRE(cg.ok());
    CHECK_FALSE(fs::exists(dir / "memory.swap.max"));
    CHECK(read(dir / "cpu.max") == "10000 100000");
  }
  SECTION("a container without limits gets no cgroup") {
    auto cg = m.create("pod-uid-5", "app", ContainerLimits{0, 0, 500});
    REQUIRE(cg.ok());
    CHECK(cg->empty());
    CHECK_FALSE(fs::exists(skiff / "pod-uid-5"));
  }
}

TEST_CASE("cgroup v2 create names the file a write failed on", "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  REQUIRE(m.version() == 2);

  SECTION("memory.max that cannot be written") {
    const fs::path dir = machine.container("uid", "app");
    fs::remove(dir / "memory.max");
    fs::create_directory(dir / "memory.max");
    auto cg = m.create("uid", "app", ContainerLimits{64 * kMi, 0, 0});
    REQUIRE_FALSE(cg.ok());
    CHECK(cg.error().code == 500);
    CHECK(cg.error().reason == "RunContainerError");
    CHECK_THAT(cg.error().message, Catch::StartsWith("cgroup: ") &&
                                       Catch::Contains((dir / "memory.max").string()) &&
                                       Catch::Contains("Is a directory"));
  }
  SECTION("cpu.max that is not there: the cpu controller is not enabled for the folder") {
    const fs::path dir =
        machine.container("uid", "app", {"cgroup.procs", "memory.max", "memory.events"});
    auto cg = m.create("uid", "app", ContainerLimits{0, 500, 0});
    REQUIRE_FALSE(cg.ok());
    CHECK_THAT(cg.error().message, Catch::Contains("open " + (dir / "cpu.max").string()) &&
                                       Catch::Contains("No such file or directory"));
  }
  SECTION("a pod folder that cannot enable controllers") {
    machine.container("uid", "app");
    const fs::path pod = machine.own / "skiff" / "uid";
    fs::remove(pod / "cgroup.subtree_control");
    auto cg = m.create("uid", "app", ContainerLimits{64 * kMi, 0, 0});
    REQUIRE_FALSE(cg.ok());
    CHECK_THAT(cg.error().message, Catch::Contains((pod / "cgroup.subtree_control").string()));
  }
  SECTION("names that would leave the pod's folder are refused") {
    for (const auto& [uid, name] : {std::pair<std::string, std::string>{"..", "app"},
                                    {"uid", ".."},
                                    {"a/b", "app"},
                                    {"uid", "x/y"},
                                    {"", "app"},
                                    {"uid", "."}}) {
      auto cg = m.create(uid, name, ContainerLimits{64 * kMi, 0, 0});
      INFO(uid << " " << name);
      REQUIRE_FALSE(cg.ok());
      CHECK(cg.error().code == 400);
    }
    CHECK_FALSE(fs::exists(machine.own / "skiff"));
  }
}

TEST_CASE("cgroup v2 adoption finds the cgroup and OOM kills are told by memory.events",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  REQUIRE(m.version() == 2);
  const fs::path dir = machine.container("uid", "app");
  machine.tree.put(dir / "memory.events", "oom 0\noom_kill 0\n");
  auto made = m.create("uid", "app", ContainerLimits{64 * kMi, 0, 0});
  REQUIRE(made.ok());
  CHECK_FALSE(m.oom_killed(*made));

  // An earlier OOM kill, then a daemon restart: adoption counts from now.
  machine.tree.put(dir / "memory.events", "oom 1\noom_kill 1\n");
  CHECK(m.oom_killed(*made));
  auto found = m.find("uid", "app");
  CHECK(found.dirs == std::vector<fs::path>{dir});
  CHECK(found.procs_files() == made->procs_files());
  CHECK(found.oom_file == dir / "memory.events");
  CHECK(found.oom_kills_at_start == 1u);
  CHECK_FALSE(m.oom_killed(found));
  machine.tree.put(dir / "memory.events", "oom 3\noom_kill 2\noom_group_kill 1\n");
  CHECK(m.oom_killed(found));

  // A kernel without the counter (before 4.13) never claims an OOM kill.
  machine.tree.put(dir / "memory.events", "low 0\nhigh 0\nmax 0\noom 0\n");
  CHECK_FALSE(m.oom_killed(found));

  CHECK(m.find("uid", "other").empty());
  CHECK(m.find("other-uid", "app").empty());
  CHECK(m.find("", "app").empty());
  CHECK_FALSE(m.oom_killed(ContainerCgroup{}));
}

TEST_CASE("cgroup remove kills what the cgroup.procs lists and reports what it removed",
          "[cgroup][v2]") {
  if (!root_user()) {
    WARN("skipped: detect() refuses to manage cgroups unless it runs as root");
    return;
  }
  V2Machine machine;
  auto m = CgroupManager::detect(machine.tree.root(), V2Machine::proc_self());
  REQUIRE(m.version() == 2);
  const fs::path skiff = machine.own / "skiff";

  // A process that left the container's process group still sits in its cgroup.
  SleepChild straggler;
  REQUIRE(straggler.pid() > 0);
  const fs::path dir = machine.container("uid", "app");
  machine.tree.put(dir / "cgroup.procs", std::to_string(straggler.pid()) + "\n");
  auto cg = m.find("uid", "app");
  REQUIRE_FALSE(cg.empty());
  // A plain folder holding files is not removable (cgroupfs would be, once empty): false,
  // so the engine retries, and the pod's folder stays.
  CHECK_FALSE(m.remove(cg));
  CHECK(straggler.wait_signal() == SIGKILL);
  CHECK(fs::exists(dir));

  // Emptied folders go, with the pod's and skiff's once nothing else is in them.
  fs::remove_all(dir);
  fs::remove_all(skiff / "uid");
  fs::remove(skiff / "cgroup.subtree_control");
  fs::create_directories(skiff / "uid" / "app");
  fs::create_directories(skiff / "uid" / "sidecar");
  ContainerCgroup app{{skiff / "uid" / "app"}, {}, 0};
  ContainerCgroup sidecar{{skiff / "uid" / "sidecar"}, {}, 0};
  CHECK(m.remove(app));
  CHECK_FALSE(fs::exists(skiff / "uid" / "app"));
  CHECK(fs::exists(skiff / "uid"));  // the sidecar keeps it
  CHECK(m.remove(sidecar));
  CHECK_FALSE(fs::exists(skiff / "uid"));
  CHECK_FALSE(fs::exists(skiff));
  CHECK(fs::exists(machine.own));  // never above skiff's folder
  // Already gone: nothing left to retry.
  CHECK(m.remove(app));
  CHECK(m.remove(ContainerCgroup{}));
}
