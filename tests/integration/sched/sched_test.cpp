// Bin packing and limits with a real daemon: pods placed by their requests against the
// node's allocatable, a pod that does not fit left Pending with FailedScheduling until room
// frees, memory limits enforced by the cgroup (OOMKilled, restarted) and the CPU quota written
// where the kernel reads it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "../seed/harness.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  std::ofstream(dir / name) << text;
  return dir / name;
}

// A pod that sleeps, asking for `resources` (YAML lines under `resources:`).
std::string sleeper(const std::string& name, const std::string& resources,
                    const std::string& command = "[\"sleep\", \"3600\"]") {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
         "\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n"
         "    image: host\n    imagePullPolicy: IfNotPresent\n    command: " +
         command + "\n    resources:\n" + resources;
}

std::string phase_of(const Daemon& d, const std::string& pod) {
  auto p = d.get_json("pod " + pod);
  return p.is_object() ? p["status"].value("phase", "") : "";
}

json condition_of(const Daemon& d, const std::string& pod, const std::string& type) {
  auto p = d.get_json("pod " + pod);
  if (!p.is_object()) return nullptr;
  for (const auto& c : p["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

// Whether this machine lets the daemon (run by this test, as the same user) make cgroups.
bool cgroups_usable() {
  return ::geteuid() == 0 && (fs::exists("/sys/fs/cgroup/cgroup.controllers") ||
                              fs::exists("/sys/fs/cgroup/memory/cgroup.procs"));
}

// The folder of the daemon's cgroup in `controller`'s v1 hierarchy: the daemon is our child,
// so it starts in ours.
fs::path own_cgroup(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':');
    auto b = line.find(':', a + 1);
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    for (size_t s = 0; s <= controllers.size();) {
      size_t e = controllers.find(',', s);
      if (e == std::string::npos) e = controllers.size();
      if (controllers.substr(s, e - s) == controller) {
        return fs::path("/sys/fs/cgroup") / controller / path.substr(1);
      }
      s = e + 1;
    }
  }
  return {};
}

std::string trimmed(const fs::path& p) {
  std::string s = read_file(p);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("A pod that does not fit stays Pending with FailedScheduling until room frees",
          "[sched]") {
  Daemon d({{}, 27101, "127.29.0.1", "127.29.1.0/24", "300ms", "127.29.2.0/24"});
  d.start(
      {"--node-memory", "1Gi", "--node-cpu", "2", "--system-reserved", "cpu=100m,memory=256Mi"});
  REQUIRE(eventually([&] { return d.skiff("get nodes").exit_code == 0; }, 20s));

  // The node: the flags' capacity, allocatable = capacity - reserve.
  auto nodes = d.skiff("get nodes");
  INFO(nodes.output);
  CHECK_THAT(nodes.output, Catch::Contains("NAME") && Catch::Contains("STATUS") &&
                               Catch::Contains("ROLES") && Catch::Contains("VERSION"));
  CHECK_THAT(nodes.output, Catch::Contains("skiff") && Catch::Contains("Ready") &&
                               Catch::Contains("control-plane"));
  auto node = d.get_json("node skiff");
  REQUIRE(node.is_object());
  CHECK(node["status"]["capacity"]["memory"] == "1Gi");
  CHECK(node["status"]["capacity"]["cpu"] == "2");
  CHECK(node["status"]["capacity"]["pods"] == "110");
  CHECK(node["status"]["allocatable"]["memory"] == "768Mi");
  CHECK(node["status"]["allocatable"]["cpu"] == "1900m");

  const fs::path dir = d.state_dir() / "manifests";
  const std::string big = "      requests:\n        memory: 600Mi\n        cpu: 100m\n";
  auto first = d.skiff("apply -f " + write(dir, "first.yaml", sleeper("first", big)).string());
  REQUIRE(first.exit_code == 0);
  REQUIRE(eventually([&] { return phase_of(d, "first") == "Running"; }, 30s));

  auto second = d.skiff("apply -f " + write(dir, "second.yaml", sleeper("second", big)).string());
  REQUIRE(second.exit_code == 0);
  const std::string message = "0/1 nodes are available: 1 Insufficient memory.";
  REQUIRE(eventually(
      [&] {
        auto c = condition_of(d, "second", "PodScheduled");
        return c.is_object() && c.value("status", "") == "False" &&
               c.value("reason", "") == "Unschedulable" && c.value("message", "") == message;
      },
      20s));
  auto pod = d.get_json("pod second");
  CHECK(pod["status"]["phase"] == "Pending");
  CHECK(pod["spec"].value("nodeName", "").empty());
  CHECK(d.skiff("get pods").output.find("second") != std::string::npos);

  auto events = d.skiff("get events");
  INFO(events.output);
  CHECK_THAT(events.output, Catch::Contains("FailedScheduling") && Catch::Contains(message) &&
                                Catch::Contains("pod/second"));
  auto described = d.skiff("describe pod second");
  INFO(described.output);
  CHECK_THAT(described.output,
             Catch::Contains("FailedScheduling") && Catch::Contains("default-scheduler") &&
                 Catch::Contains("Insufficient memory") && Catch::Contains("Unschedulable") &&
                 Catch::Contains("Requests:") && Catch::Contains("600Mi"));

  // describe node: what is allocated to whom, in percent of allocatable.
  auto described_node = d.skiff("describe node skiff");
  INFO(described_node.output);
  CHECK_THAT(described_node.output,
             Catch::Contains("Capacity:") && Catch::Contains("Allocatable:") &&
                 Catch::Contains("768Mi") && Catch::Contains("Non-terminated Pods:") &&
                 Catch::Contains("(1 in total)") && Catch::Contains("first") &&
                 Catch::Contains("600Mi (78%)") && Catch::Contains("Allocated resources:") &&
                 Catch::Contains("100m (5%)"));
  CHECK(described_node.output.find("second") == std::string::npos);

  // A request larger than the whole node: the same message, never bound.
  auto huge = d.skiff(
      "apply -f " +
      write(dir, "huge.yaml", sleeper("huge", "      requests:\n        memory: 64Gi\n")).string());
  REQUIRE(huge.exit_code == 0);
  REQUIRE(eventually(
      [&] {
        auto c = condition_of(d, "huge", "PodScheduled");
        return c.is_object() && c.value("message", "") == message;
      },
      20s));

  // Room frees: the pending pod is bound and starts; the huge one still waits.
  REQUIRE(d.skiff("delete pod first").exit_code == 0);
  REQUIRE(eventually([&] { return phase_of(d, "second") == "Running"; }, 30s));
  auto bound = d.get_json("pod second");
  CHECK(bound["spec"]["nodeName"] == "skiff");
  auto scheduled = condition_of(d, "second", "PodScheduled");
  CHECK(scheduled["status"] == "True");
  CHECK_THAT(d.skiff("get events").output,
             Catch::Contains("Successfully assigned default/second to skiff"));
  CHECK(phase_of(d, "huge") == "Pending");
  CHECK(d.get_json("pod huge")["spec"].value("nodeName", "").empty());
}

TEST_CASE("Bad resources are refused at apply and bad node flags stop the daemon", "[sched]") {
  Daemon d({{}, 27102, "127.29.3.1", "127.29.4.0/24", "300ms", "127.29.5.0/24"});
  d.start({"--node-memory", "1Gi"});
  REQUIRE(eventually([&] { return d.skiff("get nodes").exit_code == 0; }, 20s));
  const fs::path dir = d.state_dir() / "manifests";
  auto over =
      d.skiff("apply -f " + write(dir, "over.yaml",
                                  sleeper("over",
                                          "      requests:\n        memory: 256Mi\n      limits:\n"
                                          "        memory: 128Mi\n"))
                                .string());
  INFO(over.output);
  CHECK(over.exit_code != 0);
  CHECK_THAT(over.output, Catch::Contains("spec.containers[0].resources.requests[memory]") &&
                              Catch::Contains("must be less than or equal to memory limit"));
  auto bad = d.skiff(
      "apply -f " +
      write(dir, "bad.yaml", sleeper("bad", "      requests:\n        cpus: 1\n")).string());
  INFO(bad.output);
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("must be a standard resource type"));
  CHECK(d.get_json("pod over").is_null());

  // A reserve larger than the node: the daemon refuses to start, saying why.
  auto wrong = run(skiff_binary() + " daemon --api-addr 127.0.0.1:27103 --state-dir " +
                       (d.state_dir() / "wrong").string() +
                       " --node-address 127.29.6.1 --pod-cidr 127.29.7.0/24 --service-cidr "
                       "127.29.8.0/24 --dns-addr '' --node-memory 1Gi --system-reserved "
                       "memory=2Gi",
                   20s);
  INFO(wrong.output);
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.output, Catch::Contains("--system-reserved: reserving 2Gi of memory leaves "
                                           "nothing allocatable (the node has 1Gi)"));
}

TEST_CASE("A memory hog over its limit is OOMKilled and restarted", "[sched][cgroup]") {
  if (!cgroups_usable()) {
    WARN("skipped: not root or no cgroups, so limits cannot be enforced here");
    return;
  }
  Daemon d({{}, 27104, "127.29.9.1", "127.29.10.0/24", "300ms", "127.29.11.0/24"});
  d.start();
  REQUIRE(eventually([&] { return d.skiff("get nodes").exit_code == 0; }, 20s));
  const fs::path dir = d.state_dir() / "manifests";
  auto hog = sleeper("hog", "      limits:\n        memory: 64Mi\n",
                     "[\"/usr/bin/python3\", \"-c\", "
                     // Bounded at 512 MiB, so an unenforced limit fails the test rather
                     // than the machine.
                     "\"import time\\nb = bytearray()\\nfor _ in range(512): b += "
                     "bytearray(1 << 20)\\ntime.sleep(3600)\"]");
  REQUIRE(d.skiff("apply -f " + write(dir, "hog.yaml", hog).string()).exit_code == 0);
  json status;
  REQUIRE(eventually(
      [&] {
        auto p = d.get_json("pod hog");
        if (!p.is_object()) return false;
        auto cs = p["status"].value("containerStatuses", json::array());
        if (cs.empty()) return false;
        status = cs[0];
        return status.value("restartCount", 0) >= 2 &&
               status["lastState"]["terminated"].value("reason", "") == "OOMKilled";
      },
      60s));
  INFO(status.dump());
  CHECK(status["lastState"]["terminated"]["exitCode"] == 137);
  auto described = d.skiff("describe pod hog");
  INFO(described.output);
  CHECK_THAT(described.output, Catch::Contains("OOMKilled"));
}

TEST_CASE("CPU and memory limits are written where the kernel reads them", "[sched][cgroup]") {
  if (!cgroups_usable() || !fs::exists("/sys/fs/cgroup/memory/cgroup.procs")) {
    WARN("skipped: the cgroup files are checked on cgroup v1 as root");
    return;
  }
  Daemon d({{}, 27105, "127.29.12.1", "127.29.13.0/24", "300ms", "127.29.14.0/24"});
  d.start();
  REQUIRE(eventually([&] { return d.skiff("get nodes").exit_code == 0; }, 20s));
  const fs::path dir = d.state_dir() / "manifests";
  auto pod = sleeper("capped",
                     "      requests:\n        cpu: 100m\n"
                     "      limits:\n        cpu: 250m\n        memory: 96Mi\n");
  REQUIRE(d.skiff("apply -f " + write(dir, "capped.yaml", pod).string()).exit_code == 0);
  REQUIRE(eventually([&] { return phase_of(d, "capped") == "Running"; }, 30s));
  const std::string uid = d.get_json("pod capped")["metadata"]["uid"];
  const fs::path cpu = own_cgroup("cpu") / "skiff" / uid / "main";
  const fs::path mem = own_cgroup("memory") / "skiff" / uid / "main";
  INFO(cpu.string() << " " << mem.string());
  CHECK(trimmed(cpu / "cpu.cfs_quota_us") == "25000");
  CHECK(trimmed(cpu / "cpu.cfs_period_us") == "100000");
  CHECK(trimmed(cpu / "cpu.shares") == "102");
  CHECK(trimmed(mem / "memory.limit_in_bytes") == std::to_string(96 << 20));
  // The container's process is in both, from its start.
  const std::string procs = trimmed(cpu / "cgroup.procs");
  INFO(d.skiff("describe pod capped").output);
  INFO(d.log());
  CHECK_FALSE(procs.empty());
  CHECK(trimmed(mem / "cgroup.procs") == procs);

  // Gone with the pod.
  REQUIRE(d.skiff("delete pod capped").exit_code == 0);
  CHECK(eventually([&] { return !fs::exists(cpu) && !fs::exists(mem); }, 30s));
  CHECK_FALSE(fs::exists(cpu.parent_path()));
}

TEST_CASE("Without root a pod with limits runs and an event says they are not enforced",
          "[sched][cgroup]") {
  if (::geteuid() != 0 || !fs::exists("/usr/bin/setpriv")) {
    WARN("skipped: needs root to drop to nobody with setpriv");
    return;
  }
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-sched-nonroot-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);  // nobody writes its state here
  const std::string server = "127.0.0.1:27106";
  std::vector<std::string> args{"/usr/bin/setpriv", "--reuid=65534",
                                "--regid=65534",    "--clear-groups",
                                skiff_binary(),     "daemon",
                                "--api-addr",       server,
                                "--state-dir",      (dir / "state").string(),
                                "--node-address",   "127.29.15.1",
                                "--pod-cidr",       "127.29.16.0/24",
                                "--service-cidr",   "127.29.17.0/24",
                                "--dns-addr",       ""};
  const fs::path log = dir / "daemon.log";
  const pid_t pid = spawn_logged(args, log);
  REQUIRE(pid > 0);
  auto client = [&](const std::string& a) {
    return run(skiff_binary() + " " + a + " --server " + server);
  };
  auto stop = [&] {
    ::kill(pid, SIGINT);
    for (int i = 0; i < 200 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    fs::remove_all(dir);
  };
  bool up = eventually([&] { return client("get nodes").exit_code == 0; }, 20s);
  if (!up) stop();
  INFO(read_file(log));
  REQUIRE(up);
  auto pod = sleeper("limited", "      limits:\n        memory: 64Mi\n        cpu: 100m\n");
  auto applied = client("apply -f " + write(dir, "limited.yaml", pod).string());
  bool warned = eventually(
      [&] {
        return client("get events").output.find("LimitsNotEnforced") != std::string::npos &&
               client("get pod limited -o json").output.find("\"Running\"") != std::string::npos;
      },
      20s);
  const std::string events = client("get events").output;
  stop();
  INFO(applied.output << events);
  CHECK(applied.exit_code == 0);
  CHECK(warned);
  CHECK_THAT(events, Catch::Contains("Resource limits of container main are not enforced: the "
                                     "daemon does not run as root"));
}
