// The seed scenario end to end, through the real binary: build, up, curl, kill, delete, scale,
// bad manifests, Ctrl-C. What is asserted is what a user would see.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;

namespace {

const fs::path kWhoami = source_dir() / "tests/integration/seed/whoami";

// The pod names and pids behind n fresh connections to ip:port, as the whoami app reports them.
std::map<std::string, int> spread(const std::string& ip, uint16_t port, int n,
                                  std::set<int>* pids = nullptr) {
  std::map<std::string, int> by_pod;
  static const std::regex kLine(R"(pod=(\S+) pid=(\d+))");
  for (int i = 0; i < n; ++i) {
    std::smatch m;
    const std::string body = http_get(ip, port);
    if (std::regex_search(body, m, kLine)) {
      ++by_pod[m[1]];
      if (pids) pids->insert(std::stoi(m[2]));
    } else {
      ++by_pod["<no answer>"];
    }
  }
  return by_pod;
}

int ready_pods(const Daemon& d, const std::string& selector) {
  auto pods = d.get_json("pods -l " + selector);
  if (!pods.is_object()) return -1;
  int ready = 0;
  for (const auto& p : pods["items"]) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    for (const auto& c : p["status"].value("conditions", nlohmann::json::array())) {
      if (c["type"] == "Ready" && c["status"] == "True") ++ready;
    }
  }
  return ready;
}

Daemon::Options whoami_options(uint16_t api_port, const std::string& node) {
  Daemon::Options o;
  o.files = {(kWhoami / "whoami.yaml").string()};
  o.api_port = api_port;
  o.node_address = node;
  o.pod_cidr = "127.245." + std::to_string(api_port % 200) + ".0/24";
  return o;
}

}  // namespace

TEST_CASE("the seed example comes up with 4 Ready pods and answers on port 6000") {
  Daemon::Options o;
  o.files = {(source_dir() / "examples/hello/deployment.yaml").string()};
  o.api_port = 18181;
  o.node_address = "127.0.0.81";
  o.pod_cidr = "127.245.81.0/24";
  Daemon d(o);
  auto built = d.build("flask-kubernetes:latest", source_dir() / "examples/hello");
  REQUIRE(built.exit_code == 0);
  d.start();
  REQUIRE(d.wait_ready(90000ms));
  INFO(d.log());
  CHECK(d.log().find("service/flask-kubernetes-service is ready at http://127.0.0.81:6000") !=
        std::string::npos);

  auto table = d.skiff("get pods");
  INFO(table.output);
  CHECK(table.exit_code == 0);
  CHECK(table.output.rfind("NAME", 0) == 0);
  CHECK(table.output.find("READY   STATUS    RESTARTS   AGE") != std::string::npos);
  std::regex running(R"(flask-kubernetes-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s+0\s+)");
  auto begin = std::sregex_iterator(table.output.begin(), table.output.end(), running);
  CHECK(std::distance(begin, std::sregex_iterator()) == 4);

  CHECK(http_get("127.0.0.81", 6000) == "Hello from Kubernetes!");
  // The ClusterIP answers too, and get svc shows it with the LoadBalancer ingress.
  auto svc = d.get_json("svc flask-kubernetes-service");
  REQUIRE(svc.is_object());
  const std::string cluster_ip = svc["spec"]["clusterIP"];
  CHECK(cluster_ip.rfind("127.", 0) == 0);
  CHECK(http_get(cluster_ip, 6000) == "Hello from Kubernetes!");
  CHECK(svc["status"]["loadBalancer"]["ingress"][0]["ip"] == "127.0.0.81");
  CHECK(endpoint_count(d, "flask-kubernetes-service") == 4);

  // The Service has a name: the daemon's DNS answers it with the ClusterIP, as dig sees it.
  auto dig =
      run("dig +short +time=2 +tries=1 -p 5353 @127.0.0.81 "
          "flask-kubernetes-service.default.svc.cluster.local A");
  INFO(dig.output);
  CHECK(dig.output == cluster_ip + "\n");

  // Operators scrape the daemon's metrics in Prometheus' text format.
  auto metrics = run("curl -sf http://" + d.server() + "/metrics");
  CHECK(metrics.exit_code == 0);
  CHECK(metrics.output.find("# TYPE process_open_fds gauge") != std::string::npos);

  // A pod's output is there for `logs`, and `describe` tells its story.
  auto pods = d.get_json("pods");
  REQUIRE(pods.is_object());
  const std::string pod = pods["items"][0]["metadata"]["name"];
  const std::string pod_ip = pods["items"][0]["status"]["podIP"];
  auto logs = d.skiff("logs " + pod);
  INFO(logs.output);
  CHECK(logs.output.find("Running on http://" + pod_ip + ":5000") != std::string::npos);
  auto described = d.skiff("describe pod " + pod);
  INFO(described.output);
  CHECK(std::regex_search(described.output, std::regex(R"(Status:\s+Running)")));
  CHECK(std::regex_search(described.output, std::regex("IP:\\s+" + pod_ip)));
  CHECK(std::regex_search(described.output,
                          std::regex(R"(Controlled By:\s+ReplicaSet/flask-kubernetes-)")));

  // Applying the same file again changes nothing.
  auto again = d.skiff("apply -f " + (source_dir() / "examples/hello/deployment.yaml").string());
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("service/flask-kubernetes-service unchanged") != std::string::npos);
  CHECK(again.output.find("deployment.apps/flask-kubernetes unchanged") != std::string::npos);

  CHECK(d.stop() == 0);
}

TEST_CASE(
    "40 connections are answered by 4 distinct pods, 10 each, kill -9, delete and scale heal") {
  Daemon d(whoami_options(18182, "127.0.0.82"));
  REQUIRE(d.build("whoami:test", kWhoami).exit_code == 0);
  d.start();
  REQUIRE(d.wait_ready(60000ms));
  INFO(d.log());

  std::set<int> pids;
  auto by_pod = spread("127.0.0.82", 6000, 40, &pids);
  REQUIRE(by_pod.size() == 4);
  for (const auto& [pod, n] : by_pod) {
    INFO(pod);
    CHECK(n == 10);
  }
  REQUIRE(pids.size() == 4);

  SECTION("kill -9 of one pod's process: restarted in place, back in the endpoints") {
    const std::string victim = by_pod.begin()->first;
    // Find the victim's pid by asking until the victim answers.
    int victim_pid = -1;
    for (int i = 0; i < 8 && victim_pid < 0; ++i) {
      std::smatch m;
      std::string body = http_get("127.0.0.82", 6000);
      static const std::regex kLine(R"(pod=(\S+) pid=(\d+))");
      if (std::regex_search(body, m, kLine) && m[1] == victim) victim_pid = std::stoi(m[2]);
    }
    REQUIRE(victim_pid > 0);
    REQUIRE(::kill(victim_pid, SIGKILL) == 0);

    REQUIRE(eventually(
        [&] {
          auto pod = d.get_json("pod " + victim);
          return pod.is_object() &&
                 pod["status"]["containerStatuses"][0].value("restartCount", 0) == 1 &&
                 pod["status"]["containerStatuses"][0].value("ready", false);
        },
        30000ms));
    REQUIRE(eventually([&] { return endpoint_count(d, "whoami") == 4; }, 10000ms));
    auto after = spread("127.0.0.82", 6000, 40);
    CHECK(after.size() == 4);
    CHECK(after.count(victim) == 1);
    CHECK(after.count("<no answer>") == 0);
    auto table = d.skiff("get pods " + victim);
    CHECK(std::regex_search(table.output, std::regex(victim + R"(\s+1/1\s+Running\s+1\s)")));
  }

  SECTION("delete pod: a replacement with a new name") {
    const std::string victim = by_pod.begin()->first;
    // Clients keep calling while the pod goes: it leaves the endpoints before its process gets
    // SIGTERM, so no request fails. The loop is bounded in count and time.
    std::atomic<bool> done{false};
    std::atomic<int> answered{0}, failed{0};
    std::thread clients([&] {
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      for (int i = 0; i < 2000 && !done && std::chrono::steady_clock::now() < deadline; ++i) {
        (http_get("127.0.0.82", 6000).rfind("pod=", 0) == 0 ? answered : failed)++;
      }
    });
    auto del = d.skiff("delete pod " + victim);
    std::this_thread::sleep_for(300ms);
    done = true;
    clients.join();
    CHECK(answered > 0);
    CHECK(failed == 0);
    INFO(del.output);
    CHECK(del.exit_code == 0);
    CHECK(del.output.find("pod \"" + victim + "\" deleted") != std::string::npos);
    REQUIRE(eventually([&] { return ready_pods(d, "app=whoami") == 4; }, 30000ms));
    auto after = spread("127.0.0.82", 6000, 40);
    CHECK(after.size() == 4);
    CHECK(after.count(victim) == 0);
    CHECK(after.count("<no answer>") == 0);
  }

  SECTION("scale --replicas 2: 2 pods and 2 endpoints") {
    auto scaled = d.skiff("scale deployment/whoami --replicas 2");
    INFO(scaled.output);
    CHECK(scaled.output.find("deployment.apps/whoami scaled") != std::string::npos);
    REQUIRE(eventually(
        [&] {
          auto pods = d.get_json("pods -l app=whoami");
          return pods.is_object() && pods["items"].size() == 2 && endpoint_count(d, "whoami") == 2;
        },
        30000ms));
    auto after = spread("127.0.0.82", 6000, 20);
    CHECK(after.size() == 2);
    CHECK(after.count("<no answer>") == 0);
  }

  // Ctrl-C: exit 0 and no pod process left.
  std::set<int> all = pids;
  spread("127.0.0.82", 6000, 8, &all);
  CHECK(d.stop() == 0);
  for (int pid : all) {
    INFO("pid " << pid);
    CHECK_FALSE(process_alive(pid));
  }
}

TEST_CASE("the tutorial's original file is refused with line numbers and starts nothing") {
  Daemon::Options o;
  o.files = {(source_dir() / "tests/integration/seed/tutorial-original.yaml").string()};
  o.api_port = 18183;
  Daemon d(o);
  const std::string file = o.files[0];
  auto r = run(skiff_binary() + " up -f " + file + " --api-addr 127.0.0.1:18183 --state-dir " +
               d.state_dir().string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find(file +
                      ":4:9: metadata.name: Invalid value: \"flask-kubernetes -service\": a "
                      "DNS-1035 label must consist of lower case alphanumeric characters or '-'") !=
        std::string::npos);
  CHECK(std::regex_search(
      r.output, std::regex("Warning: " + std::regex_replace(file, std::regex(R"([.])"), R"(\.)") +
                           R"(:1[5-8]:\d+: spec\.selector: .*)")));
  CHECK(r.output.find("nothing was started") != std::string::npos);
  CHECK_FALSE(fs::exists(d.state_dir() / "pods"));
  CHECK(http_get("127.0.0.1", 18183).empty());
}

TEST_CASE("a second daemon on the same API port is a clear error") {
  Daemon first(whoami_options(18184, "127.0.0.84"));
  first.start();
  REQUIRE(eventually([&] { return first.skiff("get pods").exit_code == 0; }, 20000ms));
  Daemon::Options o;
  o.api_port = 18184;
  o.files = {};
  auto r = run(skiff_binary() + " daemon --api-addr 127.0.0.1:18184 --state-dir " +
               (first.state_dir() / "other").string());
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("127.0.0.1:18184") != std::string::npos);
  CHECK(r.output.find("in use") != std::string::npos);
  // The same state directory is refused before any port is tried.
  auto same = run(skiff_binary() + " daemon --api-addr 127.0.0.1:18185 --state-dir " +
                  first.state_dir().string());
  INFO(same.output);
  CHECK(same.exit_code == 1);
  CHECK(same.output.find("another skiff daemon") != std::string::npos);
  CHECK(first.running());
  CHECK(first.stop() == 0);
}

TEST_CASE("images run their Dockerfile's shell-form CMD with its ENV, overrides and pull policy") {
  Daemon::Options o;
  o.files = {(source_dir() / "tests/integration/seed/shellform/pods.yaml").string()};
  o.api_port = 18186;
  o.node_address = "127.0.0.86";
  o.pod_cidr = "127.245.86.0/24";
  Daemon d(o);
  const fs::path image_dir = source_dir() / "tests/integration/seed/shellform";
  REQUIRE(d.build("shellform:test", image_dir).exit_code == 0);
  d.start();
  INFO(d.log());

  // No command: the Dockerfile's CMD (shell form) runs in the image folder, with the
  // Dockerfile's ENV and the pod spec's env.
  REQUIRE(eventually(
      [&] { return d.skiff("logs shell-form").output.find("hello") != std::string::npos; },
      20000ms));
  CHECK(d.skiff("logs shell-form").output ==
        "hello from shell-form in " + image_dir.string() + " extra=from-the-pod-spec\n");
  // command and args override it, with $(VAR) expanded from the container's environment.
  REQUIRE(eventually([&] { return !d.skiff("logs overridden").output.empty(); }, 20000ms));
  CHECK(d.skiff("logs overridden").output == "hello overridden by overridden\n");
  // An image never built, under imagePullPolicy Never: ErrImageNeverPull, as kubelet says.
  REQUIRE(eventually(
      [&] {
        return d.skiff("get pods never-built").output.find("ErrImageNeverPull") !=
               std::string::npos;
      },
      20000ms));
  auto described = d.skiff("describe pod never-built");
  CHECK(described.output.find(
            "Container image \"never-built:v1\" is not present with pull policy of Never") !=
        std::string::npos);
  CHECK(d.stop() == 0);
}
