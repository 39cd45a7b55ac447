// The docker engine end to end, through the real binary and a real dockerd: the seed on
// containers, Service names and ClusterIPs from inside containers, docker kill, and dockerd
// going away and coming back. Skipped (visibly) when no dockerd answers.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>

#include "tests/integration/docker/docker_support.h"

using namespace skiff::test;

namespace {

const fs::path kWhoami = source_dir() / "tests/integration/seed/whoami";

// Pod name -> answers, over n fresh connections (the whoami app names its pod).
std::map<std::string, int> spread(const std::string& ip, uint16_t port, int n) {
  std::map<std::string, int> by_pod;
  static const std::regex kLine(R"(pod=(\S+) pid=(\d+))");
  for (int i = 0; i < n; ++i) {
    std::smatch m;
    const std::string body = http_get(ip, port);
    ++by_pod[std::regex_search(body, m, kLine) ? m[1].str() : "<no answer>"];
  }
  return by_pod;
}

Daemon::Options docker_options(const std::string& file, uint16_t api_port, int n) {
  Daemon::Options o;
  o.files = {file};
  o.api_port = api_port;
  o.node_address = "127.0.0." + std::to_string(n);
  o.service_cidr = "10.96." + std::to_string(n) + ".0/24";
  return o;
}

// The pod's single container is Running and Ready with `restarts` restarts.
bool restarted_and_ready(const Daemon& d, const std::string& pod, int restarts) {
  auto p = d.get_json("pod " + pod);
  if (!p.is_object()) return false;
  const auto& cs = p["status"].value("containerStatuses", nlohmann::json::array());
  return !cs.empty() && cs[0].value("restartCount", -1) == restarts && cs[0].value("ready", false);
}

}  // namespace

TEST_CASE("docker engine: the seed runs as 4 containers that answer on port 6000, by name too") {
  SKIFF_REQUIRE_DOCKER();
  auto built = docker_build("flask-kubernetes:latest", source_dir() / "examples/hello");
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  CHECK(built.output.find("Successfully tagged flask-kubernetes:latest") != std::string::npos);

  Daemon d(docker_options((source_dir() / "examples/hello/deployment.yaml").string(), 18261, 91));
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  INFO(d.log());
  CHECK(http_get("127.0.0.91", 6000) == "Hello from Kubernetes!");

  // Four pods, each one container of its own, each with its own address on the bridge.
  auto pods = d.get_json("pods");
  REQUIRE(pods.is_object());
  REQUIRE(pods["items"].size() == 4);
  std::set<std::string> ips;
  std::string some_container;
  for (const auto& p : pods["items"]) {
    const std::string uid = p["metadata"]["uid"];
    auto ids = pod_containers(uid);
    CHECK(ids.size() == 1);
    if (!ids.empty()) some_container = ids.front();
    const std::string ip = p["status"].value("podIP", "");
    auto inspected =
        run("docker inspect -f '{{.NetworkSettings.IPAddress}}' $(docker ps -q "
            "--filter label=io.skiff.pod.uid=" +
            uid + " --filter label=io.skiff.role=sandbox)");
    CHECK(inspected.output == ip + "\n");
    ips.insert(ip);
  }
  CHECK(ips.size() == 4);
  CHECK(endpoint_count(d, "flask-kubernetes-service") == 4);

  // The ClusterIP answers on the host, and from inside a pod both it and the Service's short
  // name do (the pod's resolver is skiff's DNS, with the namespace's search list).
  auto svc = d.get_json("svc flask-kubernetes-service");
  REQUIRE(svc.is_object());
  const std::string cluster_ip = svc["spec"]["clusterIP"];
  CHECK(cluster_ip.rfind("10.96.91.", 0) == 0);
  CHECK(http_get(cluster_ip, 6000) == "Hello from Kubernetes!");
  REQUIRE(!some_container.empty());
  auto fetch = [&](const std::string& url) {
    return run("docker exec " + some_container +
                   " python -c \"import urllib.request; print(urllib.request.urlopen('" + url +
                   "', timeout=5).read().decode())\"",
               30s);
  };
  auto by_ip = fetch("http://" + cluster_ip + ":6000");
  INFO(by_ip.output);
  CHECK(by_ip.output == "Hello from Kubernetes!\n");
  auto by_name = fetch("http://flask-kubernetes-service:6000");
  INFO(by_name.output);
  CHECK(by_name.output == "Hello from Kubernetes!\n");

  // The container's output is the pod's log.
  const std::string pod = pods["items"][0]["metadata"]["name"];
  auto logs = d.skiff("logs " + pod);
  INFO(logs.output);
  CHECK(logs.output.find("Running on http://") != std::string::npos);

  // Ctrl-C stops the pods and removes their containers.
  const std::string uid = pods["items"][0]["metadata"]["uid"];
  CHECK(d.stop() == 0);
  CHECK(pod_containers(uid, true).empty());
}

TEST_CASE("docker engine: a front end reaches its back end by the Service name") {
  SKIFF_REQUIRE_DOCKER();
  const fs::path example = source_dir() / "examples/frontend-backend";
  auto backend = docker_build("backend:1", example / "backend");
  INFO(backend.output);
  REQUIRE(backend.exit_code == 0);
  auto frontend = docker_build("frontend:1", example / "frontend");
  INFO(frontend.output);
  REQUIRE(frontend.exit_code == 0);

  Daemon d(docker_options((example / "frontend-backend.yaml").string(), 18262, 92));
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  REQUIRE(eventually([&] { return endpoint_count(d, "backend") == 2; }, 120000ms));
  INFO(d.log());
  std::string answer;
  REQUIRE(eventually(
      [&] {
        answer = http_get("127.0.0.92", 8000, 8000ms);
        return answer.rfind("frontend -> hello from the backend pod backend-", 0) == 0;
      },
      30000ms));
  CHECK(d.stop() == 0);
}

TEST_CASE("docker engine: docker kill of a container, skiff restarts it and the endpoints follow") {
  SKIFF_REQUIRE_DOCKER();
  auto built = docker_build("whoami:test", kWhoami);
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  Daemon d(docker_options((kWhoami / "whoami.yaml").string(), 18263, 93));
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  INFO(d.log());
  auto by_pod = spread("127.0.0.93", 6000, 40);
  REQUIRE(by_pod.size() == 4);

  const std::string victim = by_pod.begin()->first;
  auto pod = d.get_json("pod " + victim);
  REQUIRE(pod.is_object());
  const std::string uid = pod["metadata"]["uid"];
  const std::string ip = pod["status"]["podIP"];
  auto ids = pod_containers(uid);
  REQUIRE(ids.size() == 1);
  REQUIRE(run("docker kill " + ids.front()).exit_code == 0);

  REQUIRE(eventually([&] { return restarted_and_ready(d, victim, 1); }, 60000ms));
  REQUIRE(eventually([&] { return endpoint_count(d, "whoami") == 4; }, 20000ms));
  auto after = d.get_json("pod " + victim);
  CHECK(after["status"]["podIP"] == ip);  // the sandbox, and so the address, stayed
  const auto& last = after["status"]["containerStatuses"][0]["lastState"]["terminated"];
  CHECK(last.value("exitCode", 0) == 137);
  auto again = pod_containers(uid);
  REQUIRE(again.size() == 1);
  CHECK(again.front() != ids.front());
  auto answers = spread("127.0.0.93", 6000, 40);
  CHECK(answers.count(victim) == 1);
  CHECK(answers.count("<no answer>") == 0);
  auto previous = d.skiff("logs -p " + victim);
  CHECK(previous.exit_code == 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("docker engine: dockerd stopped and started again, skiff reconnects and catches up") {
  SKIFF_REQUIRE_DOCKER();
  // Only a dockerd that keeps containers running while it is down (--live-restore, as
  // .ci/run starts it) can be restarted under the test; its pid and command line say how.
  const auto live = run("docker info -f '{{.LiveRestoreEnabled}}'");
  const std::string pid_text = read_file("/var/run/docker.pid");
  if (live.output != "true\n" || pid_text.empty()) {
    WARN("SKIPPED: dockerd runs without --live-restore or without /var/run/docker.pid");
    return;
  }
  const int dockerd = std::stoi(pid_text);
  std::string cmdline = read_file("/proc/" + std::to_string(dockerd) + "/cmdline");
  for (auto& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  REQUIRE(cmdline.find("dockerd") != std::string::npos);

  REQUIRE(docker_build("whoami:test", kWhoami).exit_code == 0);
  Daemon d(docker_options((kWhoami / "whoami.yaml").string(), 18264, 94));
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  INFO(d.log());
  auto by_pod = spread("127.0.0.94", 6000, 40);
  REQUIRE(by_pod.size() == 4);
  const std::string victim = by_pod.begin()->first;
  auto pod = d.get_json("pod " + victim);
  auto ids = pod_containers(pod["metadata"]["uid"]);
  REQUIRE(ids.size() == 1);
  const int victim_pid = std::stoi(run("docker inspect -f '{{.State.Pid}}' " + ids.front()).output);
  REQUIRE(victim_pid > 0);

  // dockerd goes away; while it is gone a container dies.
  REQUIRE(::kill(dockerd, SIGTERM) == 0);
  REQUIRE(eventually([&] { return !process_alive(dockerd); }, 30000ms));
  REQUIRE(
      eventually([&] { return d.log().find("event stream lost") != std::string::npos; }, 10000ms));
  REQUIRE(::kill(victim_pid, SIGKILL) == 0);
  // A process that is still dying may accept and then reset a connection, as it would under
  // any proxy; once the dead container no longer answers at all, the other pods keep serving.
  const std::string victim_ip = pod["status"]["podIP"].get<std::string>();
  REQUIRE(eventually([&] { return http_get(victim_ip, 8080, 1000ms).empty(); }, 10000ms));
  CHECK(spread("127.0.0.94", 6000, 8).count("<no answer>") == 0);

  // Detached from the test (not under run()'s timeout): it outlives the test, as before.
  REQUIRE(std::system(("setsid " + cmdline + " >> /tmp/skiff-test-dockerd.log 2>&1 < /dev/null &")
                          .c_str()) == 0);
  REQUIRE(eventually([] { return docker_answers(); }, 60000ms));

  // Back: the stream reconnects, the relist finds the death, the kubelet restarts it.
  REQUIRE(eventually([&] { return d.log().find("event stream reconnected") != std::string::npos; },
                     30000ms));
  REQUIRE(eventually([&] { return restarted_and_ready(d, victim, 1); }, 90000ms));
  REQUIRE(eventually([&] { return endpoint_count(d, "whoami") == 4; }, 20000ms));
  auto answers = spread("127.0.0.94", 6000, 40);
  CHECK(answers.count(victim) == 1);
  CHECK(answers.count("<no answer>") == 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("docker engine: a missing image with imagePullPolicy Never gives ErrImageNeverPull") {
  SKIFF_REQUIRE_DOCKER();
  Daemon::Options o;
  o.files = {(source_dir() / "tests/integration/docker/never-pull.yaml").string()};
  o.api_port = 18265;
  o.node_address = "127.0.0.95";
  o.service_cidr = "10.96.95.0/24";
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(eventually(
      [&] {
        auto p = d.get_json("pod never-pulled");
        return p.is_object() &&
               p["status"].value("containerStatuses", nlohmann::json::array()).size() == 1 &&
               p["status"]["containerStatuses"][0]["state"]["waiting"].value("reason", "") ==
                   "ErrImageNeverPull";
      },
      60000ms));
  CHECK(d.stop() == 0);
}

TEST_CASE("docker engine: with no dockerd, the daemon says so and exits") {
  Daemon::Options o;
  o.api_port = 18266;
  o.node_address = "127.0.0.96";
  o.service_cidr = "10.96.96.0/24";
  Daemon d(o);
  const std::string missing = "unix://" + (d.state_dir() / "no-docker.sock").string();
  ::setenv("DOCKER_HOST", missing.c_str(), 1);
  const auto started = std::chrono::steady_clock::now();
  d.start({"--engine", "docker"});
  ::unsetenv("DOCKER_HOST");
  REQUIRE(eventually([&] { return d.log().find("is dockerd running?") != std::string::npos; },
                     15000ms));
  CHECK(std::chrono::steady_clock::now() - started < 15s);
  INFO(d.log());
  CHECK(d.log().find("--engine docker: docker engine at " + missing) != std::string::npos);
  CHECK(d.stop() == 1);
}

TEST_CASE("docker engine: a restarted skiff adopts its running containers by label") {
  SKIFF_REQUIRE_DOCKER();
  REQUIRE(docker_build("whoami:test", kWhoami).exit_code == 0);
  Daemon d(docker_options((kWhoami / "whoami.yaml").string(), 18267, 97));
  d.start({"--engine", "docker"});
  REQUIRE(d.wait_ready(240000ms));
  REQUIRE(spread("127.0.0.97", 6000, 20).size() == 4);
  std::map<std::string, std::vector<std::string>> before;  // pod uid -> container ids
  auto pods = d.get_json("pods");
  REQUIRE(pods.is_object());
  for (const auto& p : pods["items"]) {
    const std::string uid = p["metadata"]["uid"];
    before[uid] = pod_containers(uid);
    REQUIRE(before[uid].size() == 1);
  }

  // The daemon dies without cleaning up (kill -9); its containers keep running.
  const std::string pid_text = read_file(d.state_dir() / "daemon.lock");
  REQUIRE(!pid_text.empty());
  REQUIRE(::kill(std::stoi(pid_text), SIGKILL) == 0);
  d.stop();  // reaps it
  for (const auto& [uid, ids] : before) CHECK(pod_containers(uid) == ids);

  d.start({"--engine", "docker"});
  // Waits for this run's own line: until the new daemon truncates it, the log is the last one's.
  REQUIRE(eventually(
      [&] { return d.log().find("adopted 4 running containers of 4 pods") != std::string::npos; },
      60000ms));
  REQUIRE(d.wait_ready(120000ms));
  INFO(d.log());
  // The same containers serve: none was recreated, none restarted.
  for (const auto& [uid, ids] : before) CHECK(pod_containers(uid) == ids);
  auto after = spread("127.0.0.97", 6000, 40);
  CHECK(after.size() == 4);
  CHECK(after.count("<no answer>") == 0);
  auto now = d.get_json("pods");
  for (const auto& p : now["items"]) {
    CHECK(p["status"]["containerStatuses"][0].value("restartCount", -1) == 0);
  }
  // The ClusterIP route the killed daemon left was taken over, and goes with this one.
  CHECK(d.log().find("taking over the route an earlier skiff left") != std::string::npos);
  CHECK(d.stop() == 0);
  CHECK(run("ip route show table local 10.96.97.0/24").output.empty());
  run("ip route del local 10.96.97.0/24 dev lo table local");  // should a check above fail
}
