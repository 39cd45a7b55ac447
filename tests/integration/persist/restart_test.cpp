// State that survives: the real daemon killed with SIGKILL and started again keeps every
// object (resourceVersion continuing) and adopts its running pods (same pids), and the
// Service answers again within a second; a damaged state file is refused by name while the
// rest loads; a liveness probe that fails restarts its container.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "controller/object_file.h"
#include "tests/integration/seed/harness.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

// A tiny HTTP server that answers with its own pid, so the test sees through the Service
// which process serves.
constexpr const char* kPidServer = R"(import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = str(os.getpid()).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((os.environ['POD_IP'], int(os.environ['PORT'])), H).serve_forever()
)";

std::string indent(const std::string& text, int n) {
  std::string out, pad(static_cast<size_t>(n), ' ');
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += pad + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

std::string keeper_manifest() {
  return std::string(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: keeper
spec:
  replicas: 2
  selector:
    matchLabels: {app: keeper}
  template:
    metadata:
      labels: {app: keeper}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: app
        image: host/python3
        ports:
        - containerPort: 5000
        command: ["python3", "-c"]
        args:
        - |
)") + indent(kPidServer, 10) +
         R"(---
apiVersion: v1
kind: Service
metadata:
  name: keeper
spec:
  type: LoadBalancer
  selector: {app: keeper}
  ports:
  - port: 6000
    targetPort: 5000
)";
}

fs::path write_manifest(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

// The daemon's pid, from the lock file it holds in its state dir.
int daemon_pid(const Daemon& d) {
  std::string text = read_file(d.state_dir() / "daemon.lock");
  return text.empty() ? -1 : std::stoi(text);
}

// The pid of a process-engine container, from its containerID
// ("process://<uid8>-<name>-<restart>-<pid>-<n>").
int container_pid(const std::string& container_id) {
  static const std::regex re(R"(-(\d+)-(\d+)$)");
  std::smatch m;
  if (!std::regex_search(container_id, m, re)) return -1;
  return std::stoi(m[1].str());
}

struct PodFacts {
  std::string uid;
  std::string container_id;
  int restarts = -1;
  int pid = -1;
  uint64_t resource_version = 0;
};

std::map<std::string, PodFacts> pods_of(const Daemon& d) {
  std::map<std::string, PodFacts> out;
  auto pods = d.get_json("pods");
  if (!pods.is_object()) return out;
  for (const auto& p : pods["items"]) {
    PodFacts f;
    f.uid = p["metadata"]["uid"];
    f.resource_version = std::stoull(p["metadata"]["resourceVersion"].get<std::string>());
    if (p.contains("status") && p["status"].contains("containerStatuses")) {
      const auto& cs = p["status"]["containerStatuses"][0];
      f.container_id = cs.value("containerID", "");
      f.restarts = cs.value("restartCount", -1);
      f.pid = container_pid(f.container_id);
    }
    out[p["metadata"]["name"]] = f;
  }
  return out;
}

uint64_t list_version(const Daemon& d, const std::string& kind) {
  auto list = d.get_json(kind);
  if (!list.is_object()) return 0;
  return std::stoull(list["metadata"].value("resourceVersion", "0"));
}

// True when pid names no live process (gone, or a zombie nobody reaped yet).
bool gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return true;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

// Kills what the test started if an assertion ends it early (pods outlive a killed daemon).
struct ProcessGuard {
  std::set<int> pids;
  ~ProcessGuard() {
    for (int pid : pids) {
      if (pid > 1 && !gone(pid)) ::kill(-pid, SIGKILL);
    }
  }
};

}  // namespace

// This folder's addresses (tests/integration/README-ports.md): API ports 18491-18499, nodes
// 127.0.0.191-199 (127.0.0.91-97 are integration/docker's), pods 127.246.91-99.0/24.
TEST_CASE("kill -9 of the daemon and a restart adopt the running pods with the same pids") {
  const fs::path dir = fs::temp_directory_path() / ("skiff-persist-" + std::to_string(::getpid()));
  Daemon::Options o;
  o.files = {write_manifest(dir, "keeper.yaml", keeper_manifest()).string()};
  o.api_port = 18491;
  o.node_address = "127.0.0.191";
  o.pod_cidr = "127.246.91.0/24";
  Daemon d(o);
  ProcessGuard guard;
  d.start();
  REQUIRE(d.wait_ready(60000ms));

  auto before = pods_of(d);
  REQUIRE(before.size() == 2);
  std::set<std::string> pids_before;
  for (const auto& [name, f] : before) {
    REQUIRE(f.pid > 0);
    guard.pids.insert(f.pid);
    pids_before.insert(std::to_string(f.pid));
  }
  CHECK(pids_before.count(http_get("127.0.0.191", 6000)) == 1);
  auto deploy_before = d.get_json("deployment keeper");
  auto svc_before = d.get_json("svc keeper");
  REQUIRE(deploy_before.is_object());
  REQUIRE(svc_before.is_object());
  const uint64_t version_before = list_version(d, "pods");

  // SIGKILL: no shutdown code runs. The pods run in their own sessions and stay.
  const int pid = daemon_pid(d);
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  d.stop();  // reaps it
  for (const auto& [name, f] : before) CHECK_FALSE(gone(f.pid));
  CHECK(http_get("127.0.0.191", 6000, 300ms).empty());  // the proxy died with the daemon

  // Start again (`up -f` with the same file: applied on top, nothing duplicated) and time
  // the first answer through the Service.
  const auto started = std::chrono::steady_clock::now();
  d.start();
  std::string answer;
  while (std::chrono::steady_clock::now() - started < 10s) {
    answer = http_get("127.0.0.191", 6000, 200ms);
    if (!answer.empty()) break;
    std::this_thread::sleep_for(10ms);
  }
  const auto first_answer = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  INFO(d.log());
  INFO("first answer after " << first_answer.count() << " ms");
  CHECK(pids_before.count(answer) == 1);  // served by a pod of the first daemon
  CHECK(first_answer < 1000ms);

  // Every object is back: the same pods (uid, container, pid, restarts), the Deployment and
  // the Service with their uid and clusterIP, and no new pod was made.
  REQUIRE(eventually([&] { return pods_of(d).size() == 2; }, 5000ms));
  auto after = pods_of(d);
  for (const auto& [name, f] : before) {
    INFO(name);
    REQUIRE(after.count(name) == 1);
    CHECK(after[name].uid == f.uid);
    CHECK(after[name].container_id == f.container_id);
    CHECK(after[name].pid == f.pid);
    CHECK(after[name].restarts == f.restarts);
    CHECK_FALSE(gone(f.pid));
  }
  auto deploy_after = d.get_json("deployment keeper");
  auto svc_after = d.get_json("svc keeper");
  CHECK(deploy_after["metadata"]["uid"] == deploy_before["metadata"]["uid"]);
  CHECK(deploy_after["metadata"]["creationTimestamp"] ==
        deploy_before["metadata"]["creationTimestamp"]);
  CHECK(svc_after["spec"]["clusterIP"] == svc_before["spec"]["clusterIP"]);
  CHECK(d.get_json("rs")["items"].size() == 1);
  // Every answer comes from an adopted process.
  for (int i = 0; i < 10; ++i) CHECK(pids_before.count(http_get("127.0.0.191", 6000)) == 1);

  // The resourceVersion sequence continues: a new write gets a newer version.
  auto scaled = d.skiff("scale deployment keeper --replicas=3");
  INFO(scaled.output);
  CHECK(scaled.exit_code == 0);
  REQUIRE(eventually([&] { return pods_of(d).size() == 3; }, 20000ms));
  for (const auto& [name, f] : pods_of(d)) {
    if (before.count(name)) continue;
    CHECK(f.resource_version > version_before);
    guard.pids.insert(f.pid);
  }

  // A graceful stop still stops every pod, adopted or not.
  CHECK(d.stop() == 0);
  for (const auto& [name, f] : before) {
    CHECK(eventually([&] { return gone(f.pid); }, 5000ms));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("a damaged state file is refused by name and everything else comes back") {
  Daemon::Options o;
  o.api_port = 18492;
  o.node_address = "127.0.0.192";
  o.pod_cidr = "127.246.92.0/24";
  Daemon d(o);
  d.start();
  REQUIRE(eventually([&] { return d.skiff("get pods").exit_code == 0; }, 20000ms));
  const fs::path manifests = d.state_dir() / "manifests";
  auto applied = d.skiff(
      "apply -f " +
      write_manifest(manifests, "svcs.yaml",
                     "apiVersion: v1\nkind: Service\nmetadata: {name: kept}\nspec:\n  selector: "
                     "{app: x}\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: Service\n"
                     "metadata: {name: torn}\nspec:\n  selector: {app: y}\n  ports: [{port: 81}]\n")
          .string());
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(eventually([&] { return !d.get_json("svc kept")["spec"].value("clusterIP", "").empty(); },
                     5000ms));
  const auto kept_before = d.get_json("svc kept");
  CHECK(d.stop() == 0);

  // A write cut short: half the file.
  const fs::path torn = d.state_dir() / "objects/services/default/torn.json";
  REQUIRE(fs::exists(torn));
  std::string bytes = read_file(torn);
  {
    std::ofstream out(torn, std::ios::trunc | std::ios::binary);
    out << bytes.substr(0, bytes.size() / 2);
  }

  d.start();
  REQUIRE(eventually([&] { return d.skiff("get svc").exit_code == 0; }, 20000ms));
  INFO(d.log());
  CHECK(d.log().find("state: object not loaded: " + torn.string() +
                     ": truncated: the header announces") != std::string::npos);
  CHECK(d.running());
  auto kept = d.get_json("svc kept");
  REQUIRE(kept.is_object());
  CHECK(kept["metadata"]["uid"] == kept_before["metadata"]["uid"]);
  CHECK(kept["spec"]["clusterIP"] == kept_before["spec"]["clusterIP"]);
  auto gone = d.skiff("get svc torn");
  CHECK(gone.exit_code != 0);
  CHECK(gone.output.find("not found") != std::string::npos);
  // Kept aside for inspection, and not read again.
  bool aside = false;
  for (const auto& e : fs::directory_iterator(torn.parent_path())) {
    aside = aside || e.path().filename().string().starts_with("torn.json.corrupt-");
  }
  CHECK(aside);
  CHECK(d.stop() == 0);
}

TEST_CASE("a failing liveness probe restarts its container and restartCount grows") {
  Daemon::Options o;
  o.api_port = 18493;
  o.node_address = "127.0.0.193";
  o.pod_cidr = "127.246.93.0/24";
  const fs::path dir = fs::temp_directory_path() / ("skiff-live-" + std::to_string(::getpid()));
  // "sick" listens nowhere, so its tcpSocket liveness probe fails; "well" passes its exec one.
  o.files = {write_manifest(dir, "pods.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: sick}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: host/sleep
    command: ["sleep", "600"]
    livenessProbe:
      tcpSocket: {port: 5999}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: well}
spec:
  containers:
  - name: app
    image: host/sleep
    command: ["sleep", "600"]
    livenessProbe:
      exec: {command: ["true"]}
      periodSeconds: 1
      failureThreshold: 1
)")
                 .string()};
  Daemon d(o);
  d.start();
  auto restarts = [&](const std::string& pod) {
    auto facts = pods_of(d);
    return facts.count(pod) ? facts[pod].restarts : -1;
  };
  REQUIRE(eventually([&] { return restarts("sick") >= 0 && restarts("well") >= 0; }, 20000ms));
  const int first_pid = pods_of(d)["sick"].pid;
  CHECK(eventually([&] { return restarts("sick") >= 2; }, 30000ms));
  INFO(d.log());
  CHECK(pods_of(d)["sick"].pid != first_pid);
  CHECK(restarts("well") == 0);
  CHECK(d.log().find("container app of pod default/sick: failed Liveness probe, will be "
                     "restarted") != std::string::npos);
  auto pod = d.get_json("pod sick");
  const auto& last = pod["status"]["containerStatuses"][0]["lastState"]["terminated"];
  CHECK(last.value("exitCode", 0) == 143);  // SIGTERM within its grace period
  CHECK(d.stop() == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("a startup probe holds readiness back until it passes and restarts when it fails") {
  Daemon::Options o;
  o.api_port = 18494;
  o.node_address = "127.0.0.194";
  o.pod_cidr = "127.246.94.0/24";
  const fs::path dir = fs::temp_directory_path() / ("skiff-startup-" + std::to_string(::getpid()));
  // "slow" creates its marker after 2 s (in its pod folder, its working directory); "never"
  // never passes. Without the startup probe both would be Ready at once (no ports, no
  // readiness probe).
  o.files = {write_manifest(dir, "pods.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: slow}
spec:
  containers:
  - name: app
    image: host/sh
    command: ["sh", "-c", "rm -f started; sleep 2; touch started; exec sleep 600"]
    startupProbe:
      exec: {command: ["test", "-e", "started"]}
      periodSeconds: 1
      failureThreshold: 10
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: host/sh
    command: ["sleep", "600"]
    startupProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 2
)")
                 .string()};
  Daemon d(o);
  d.start();
  auto status = [&](const std::string& pod) {
    auto p = d.get_json("pod " + pod);
    if (!p.is_object() || !p["status"].contains("containerStatuses")) return json::object();
    return p["status"]["containerStatuses"][0];
  };
  REQUIRE(eventually(
      [&] { return status("slow").value("state", json::object()).contains("running"); }, 20000ms));
  // Running but not started, so not ready.
  auto early = status("slow");
  CHECK(early.value("started", false) == false);
  CHECK(early.value("ready", false) == false);
  CHECK(eventually(
      [&] {
        auto s = status("slow");
        return s.value("started", false) && s.value("ready", false);
      },
      15000ms));
  CHECK(status("slow").value("restartCount", -1) == 0);

  // A startup probe at its failure threshold kills the container, which restarts.
  CHECK(eventually([&] { return status("never").value("restartCount", 0) >= 1; }, 20000ms));
  CHECK(status("never").value("ready", true) == false);
  INFO(d.log());
  CHECK(d.log().find("container app of pod default/never: failed Startup probe, will be "
                     "restarted") != std::string::npos);
  CHECK(d.stop() == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
