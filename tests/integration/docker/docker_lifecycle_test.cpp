// The docker engine's lifecycle edges, through the real binary and a real dockerd: an image
// HEALTHCHECK turning a pod unready and ready again, a killed sandbox (pause) container, and
// the ClusterIP route a daemon killed with -9 leaves behind. Skipped (visibly) when no dockerd
// answers.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "tests/integration/docker/docker_support.h"

using namespace skiff::test;

namespace {

const fs::path kHealthDir = source_dir() / "tests/integration/docker/health";

// Test n (0..9): API port 25000+n, node 127.0.0.(120+n), Services in 10.96.(120+n).0/24.
Daemon::Options lifecycle_options(int n, bool with_files = true) {
  Daemon::Options o;
  if (with_files) o.files = {(kHealthDir / "health.yaml").string()};
  o.api_port = static_cast<uint16_t>(25000 + n);
  o.node_address = "127.0.0." + std::to_string(120 + n);
  o.pod_cidr = "127.246." + std::to_string(120 + n) + ".0/24";
  o.service_cidr = "10.96." + std::to_string(120 + n) + ".0/24";
  return o;
}

// Pod name -> answers through the Service's LoadBalancer address, over n fresh connections.
std::map<std::string, int> spread(const std::string& ip, int n) {
  static const std::regex kLine(R"(pod=(\S+))");
  std::map<std::string, int> by_pod;
  for (int i = 0; i < n; ++i) {
    std::smatch m;
    const std::string body = http_get(ip, 6000);
    ++by_pod[std::regex_search(body, m, kLine) ? m[1].str() : "<no answer>"];
  }
  return by_pod;
}

std::set<std::string> endpoint_ips(const Daemon& d, const std::string& name) {
  std::set<std::string> ips;
  auto ep = d.get_json("endpoints " + name);
  if (!ep.is_object()) return ips;
  for (const auto& s : ep.value("subsets", nlohmann::json::array())) {
    for (const auto& a : s.value("addresses", nlohmann::json::array())) {
      ips.insert(a.value("ip", ""));
    }
  }
  return ips;
}

// The messages of the Events with `reason` about pod `name`.
std::vector<std::string> pod_events(const Daemon& d, const std::string& name,
                                    const std::string& reason) {
  std::vector<std::string> out;
  auto events = d.get_json("events");
  if (!events.is_object()) return out;
  for (const auto& e : events.value("items", nlohmann::json::array())) {
    if (e["involvedObject"].value("name", "") == name && e.value("reason", "") == reason) {
      out.push_back(e.value("message", ""));
    }
  }
  return out;
}

std::string docker_field(const std::string& format, const std::string& id) {
  auto r = run("docker inspect -f '" + format + "' " + id);
  if (r.exit_code != 0) return "";
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

// The pod's sandbox container (running, or with `all` in any state); "" if none.
std::string sandbox_of(const std::string& pod_uid, bool all = false) {
  auto r =
      run(std::string("docker ps -q --no-trunc") + (all ? " -a" : "") +
          " --filter label=io.skiff.pod.uid=" + pod_uid + " --filter label=io.skiff.role=sandbox");
  while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
  return r.output;
}

// The pod's first container status; one with empty state and lastState while the kubelet has
// not reported any (a const json's operator[] must never be asked for a missing key).
const nlohmann::json& first_status(const nlohmann::json& pod) {
  static const nlohmann::json kNone = {{"state", nlohmann::json::object()},
                                       {"lastState", nlohmann::json::object()}};
  const auto status = pod.find("status");
  if (status == pod.end()) return kNone;
  const auto cs = status->find("containerStatuses");
  if (cs == status->end() || !cs->is_array() || cs->empty()) return kNone;
  return cs->front();
}

bool pod_ready(const nlohmann::json& pod) {
  for (const auto& c : pod["status"].value("conditions", nlohmann::json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// The daemon answers its API (a daemon without manifests prints no "is ready at").
bool api_answers(const Daemon& d) { return d.skiff("get pods").exit_code == 0; }

// `skiff apply` of a Pod `name` (grace 1 s) whose containers are the YAML list `containers`.
bool apply_pod(const Daemon& d, const std::string& name, const std::string& containers) {
  const fs::path manifest = d.state_dir() / (name + ".yaml");
  {
    std::ofstream out(manifest);
    out << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " << name
        << "\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n"
        << containers;
  }
  return d.skiff("apply -f " + manifest.string()).exit_code == 0;
}

}  // namespace

TEST_CASE(
    "docker engine: an unhealthy HEALTHCHECK takes the pod out of the endpoints until healthy") {
  SKIFF_REQUIRE_DOCKER();
  auto built = docker_build("skiff-test/health:1", kHealthDir);
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  const auto o = lifecycle_options(0);
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  REQUIRE(eventually([&] { return endpoint_count(d, "health") == 2; }, 60000ms));
  INFO(d.log());

  auto pods = d.get_json("pods");
  REQUIRE(pods.is_object());
  REQUIRE(pods["items"].size() == 2);
  const std::string victim = pods["items"][0]["metadata"]["name"];
  const std::string uid = pods["items"][0]["metadata"]["uid"];
  const std::string other = pods["items"][1]["metadata"]["name"];
  const auto ids = pod_containers(uid);
  REQUIRE(ids.size() == 1);
  REQUIRE(eventually([&] { return docker_field("{{.State.Health.Status}}", ids[0]) == "healthy"; },
                     30000ms));
  auto both = spread(o.node_address, 20);
  CHECK(both.count(victim) == 1);
  CHECK(both.count(other) == 1);

  // The check fails: docker says unhealthy, the pod is not Ready and leaves the endpoints,
  // and the proxy sends everything to the other pod. The container is not restarted.
  REQUIRE(run("docker exec " + ids[0] + " rm /tmp/healthy").exit_code == 0);
  REQUIRE(eventually([&] { return endpoint_count(d, "health") == 1; }, 30000ms));
  auto pod = d.get_json("pod " + victim);
  REQUIRE(pod.is_object());
  CHECK_FALSE(pod_ready(pod));
  CHECK(first_status(pod).value("ready", true) == false);
  CHECK(first_status(pod)["state"].contains("running"));
  CHECK(first_status(pod).value("restartCount", -1) == 0);
  auto only = spread(o.node_address, 20);
  CHECK(only.size() == 1);
  CHECK(only[other] == 20);
  auto unhealthy = pod_events(d, victim, "Unhealthy");
  REQUIRE(unhealthy.size() == 1);
  CHECK(unhealthy[0].find("HEALTHCHECK failed") != std::string::npos);
  CHECK(unhealthy[0].find("/tmp/healthy") != std::string::npos);  // the check's own output
  CHECK(pod_containers(uid) == ids);

  // Healthy again: back in the endpoints and answering, still the same container.
  REQUIRE(run("docker exec " + ids[0] + " touch /tmp/healthy").exit_code == 0);
  REQUIRE(eventually([&] { return endpoint_count(d, "health") == 2; }, 30000ms));
  CHECK(pod_ready(d.get_json("pod " + victim)));
  auto again = spread(o.node_address, 20);
  CHECK(again.count(victim) == 1);
  CHECK(again.count("<no answer>") == 0);
  CHECK(first_status(d.get_json("pod " + victim)).value("restartCount", -1) == 0);
  CHECK(pod_containers(uid) == ids);
  CHECK(d.stop() == 0);
}

TEST_CASE(
    "docker engine: a killed sandbox, the pod starts again in a new one and endpoints follow") {
  SKIFF_REQUIRE_DOCKER();
  REQUIRE(docker_build("skiff-test/health:1", kHealthDir).exit_code == 0);
  const auto o = lifecycle_options(1);
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  REQUIRE(eventually([&] { return endpoint_count(d, "health") == 2; }, 60000ms));
  INFO(d.log());

  auto pods = d.get_json("pods");
  REQUIRE(pods["items"].size() == 2);
  const std::string victim = pods["items"][0]["metadata"]["name"];
  const std::string uid = pods["items"][0]["metadata"]["uid"];
  const std::string other = pods["items"][1]["metadata"]["name"];
  const std::string old_sandbox = sandbox_of(uid);
  const auto old_containers = pod_containers(uid);
  REQUIRE(!old_sandbox.empty());
  REQUIRE(old_containers.size() == 1);

  // The pause container dies: the pod's container lost its network, so it is killed and the
  // pod starts again in a new sandbox, its restart counted.
  REQUIRE(run("docker kill " + old_sandbox).exit_code == 0);
  REQUIRE(eventually(
      [&] {
        auto p = d.get_json("pod " + victim);
        return p.is_object() && first_status(p).value("restartCount", -1) == 1 &&
               first_status(p).value("ready", false);
      },
      60000ms));
  const std::string new_sandbox = sandbox_of(uid);
  REQUIRE(!new_sandbox.empty());
  CHECK(new_sandbox != old_sandbox);
  auto pod = d.get_json("pod " + victim);
  const std::string ip = pod["status"].value("podIP", "");
  CHECK(ip == docker_field("{{.NetworkSettings.IPAddress}}", new_sandbox));
  CHECK(first_status(pod)["lastState"].contains("terminated"));
  auto now_containers = pod_containers(uid);
  REQUIRE(now_containers.size() == 1);
  CHECK(now_containers != old_containers);
  CHECK(docker_field("{{.HostConfig.NetworkMode}}", now_containers[0]) ==
        "container:" + new_sandbox);
  CHECK(pod_events(d, victim, "SandboxChanged").size() == 1);
  // The dead sandbox is removed; the other pod was not touched.
  CHECK(eventually([&] { return docker_field("{{.Id}}", old_sandbox).empty(); }, 20000ms));
  CHECK(first_status(d.get_json("pod " + other)).value("restartCount", -1) == 0);

  // The endpoints carry the new address, and the proxy reaches the pod there.
  REQUIRE(eventually(
      [&] {
        auto ips = endpoint_ips(d, "health");
        return ips.size() == 2 && ips.count(ip) == 1;
      },
      20000ms));
  auto answers = spread(o.node_address, 20);
  CHECK(answers.count(victim) == 1);
  CHECK(answers.count("<no answer>") == 0);
  CHECK(d.stop() == 0);
  CHECK(pod_containers(uid, true).empty());
  CHECK(sandbox_of(uid, true).empty());
}

TEST_CASE("docker engine: the ClusterIP route a kill -9 left is taken over and removed at exit") {
  SKIFF_REQUIRE_DOCKER();
  const auto o = lifecycle_options(2, false);
  const std::string cidr = o.service_cidr;
  const std::string show = "ip route show table local " + cidr;
  run("ip route del " + cidr + " dev lo table local");  // a leftover of an earlier failed run
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
  INFO(d.log());
  CHECK(run(show).output.find("proto 83") != std::string::npos);

  // Killed without a chance to clean up: the route stays.
  const std::string pid_text = read_file(d.state_dir() / "daemon.lock");
  REQUIRE(!pid_text.empty());
  REQUIRE(::kill(std::stoi(pid_text), SIGKILL) == 0);
  d.stop();  // reaps it
  REQUIRE(run(show).output.find("local " + cidr) != std::string::npos);

  // The next daemon starts without an error, owns the route, and removes it at its exit.
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
  CHECK(d.log().find("taking over the route an earlier skiff left") != std::string::npos);
  CHECK(d.stop() == 0);
  CHECK(run(show).output.empty());

  SECTION("a local route somebody else made is used and left in place") {
    REQUIRE(run("ip route add local " + cidr + " dev lo table local").exit_code == 0);
    d.start({"--engine", "docker"});
    REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
    CHECK(d.log().find("not made by skiff") != std::string::npos);
    CHECK(d.stop() == 0);
    CHECK(run(show).output.find("local " + cidr) != std::string::npos);
    run("ip route del local " + cidr + " dev lo table local");
  }
  SECTION("another kind of route for the range is a clear error at start") {
    REQUIRE(run("ip route add unicast " + cidr + " dev lo table local").exit_code == 0);
    d.start({"--engine", "docker"});
    REQUIRE(eventually(
        [&] { return d.log().find("choose another --service-cidr") != std::string::npos; },
        30000ms));
    CHECK(d.stop() == 1);
    run("ip route del " + cidr + " dev lo table local");
  }
}

TEST_CASE("docker engine: after a restart, containers of a pod that is gone are removed") {
  SKIFF_REQUIRE_DOCKER();
  REQUIRE(docker_build("skiff-test/health:1", kHealthDir).exit_code == 0);
  const auto o = lifecycle_options(3, false);
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
  INFO(d.log());
  REQUIRE(apply_pod(d, "lonely",
                    "  - name: web\n    image: skiff-test/health:1\n"
                    "    imagePullPolicy: Never\n"));
  std::string uid;
  REQUIRE(eventually(
      [&] {
        auto p = d.get_json("pod lonely");
        if (!p.is_object() || !first_status(p)["state"].contains("running")) return false;
        uid = p["metadata"]["uid"];
        return true;
      },
      120000ms));
  REQUIRE(pod_containers(uid).size() == 1);
  REQUIRE(!sandbox_of(uid).empty());

  // Killed with -9; while it is down the pod leaves its state (as if deleted meanwhile).
  const std::string pid_text = read_file(d.state_dir() / "daemon.lock");
  REQUIRE(!pid_text.empty());
  REQUIRE(::kill(std::stoi(pid_text), SIGKILL) == 0);
  d.stop();
  size_t removed = 0;
  for (const auto& f : fs::recursive_directory_iterator(d.state_dir() / "objects")) {
    if (f.is_regular_file() && f.path().filename().string().rfind("lonely", 0) == 0 &&
        f.path().string().find("/pods/") != std::string::npos) {
      removed += fs::remove(f.path()) ? 1 : 0;
    }
  }
  REQUIRE(removed == 1);
  REQUIRE(pod_containers(uid).size() == 1);  // still running, unowned

  // The next daemon finds it by label, wants it no more, stops and removes it and its sandbox.
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
  CHECK(eventually(
      [&] { return pod_containers(uid, true).empty() && sandbox_of(uid, true).empty(); }, 30000ms));
  CHECK(run("docker ps -aq --filter label=io.skiff.pod.uid=" + uid).output.empty());
  CHECK(d.log().find("container web of pod default/lonely has no pod any more") !=
        std::string::npos);
  CHECK(d.stop() == 0);
}

TEST_CASE("docker engine: a container over its memory limit is OOMKilled and restarted") {
  SKIFF_REQUIRE_DOCKER();
  const auto o = lifecycle_options(4, false);
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return api_answers(d); }, 60000ms));
  INFO(d.log());
  // `tail` of an endless line keeps all of it: memory grows until the cgroup's limit.
  REQUIRE(apply_pod(d, "hog",
                    "  - name: hog\n    image: skiff-test/busybox:1\n    imagePullPolicy: Never\n"
                    "    command: [\"sh\", \"-c\", \"tail /dev/zero\"]\n"
                    "    resources:\n      limits:\n        memory: 32Mi\n"));
  nlohmann::json status;
  CHECK(eventually(
      [&] {
        auto p = d.get_json("pod hog");
        if (!p.is_object()) return false;
        status = first_status(p);
        return status.value("restartCount", 0) >= 1 &&
               status["lastState"]["terminated"].value("reason", "") == "OOMKilled";
      },
      120000ms));
  INFO(status.dump());
  CHECK(status["lastState"]["terminated"].value("exitCode", 0) == 137);
  // dockerd enforces what skiff asked for.
  const std::string id = status.value("containerID", "");
  REQUIRE(id.rfind("docker://", 0) == 0);
  CHECK(docker_field("{{.HostConfig.Memory}}", id.substr(9)) == std::to_string(32 << 20));
  CHECK(d.skiff("delete pod hog").exit_code == 0);
  CHECK(d.stop() == 0);
}
