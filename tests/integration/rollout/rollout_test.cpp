// Rollouts through the real binary, as a user drives them: apply a new template, `rollout
// status` until it finishes, `rollout undo`, `rollout history`, while clients keep calling the
// Service; a rollout that cannot finish fails `rollout status` at its progress deadline; events
// tell what happened. Every loop is bounded in count and time.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;

namespace {

const fs::path kWhoami = source_dir() / "tests/integration/seed/whoami";

Daemon::Options options(uint16_t api_port, int octet, fs::path file) {
  Daemon::Options o;
  o.files = {file.string()};
  o.api_port = api_port;
  o.node_address = "127.0.0." + std::to_string(octet);
  o.pod_cidr = "127.245." + std::to_string(octet) + ".0/24";
  return o;
}

// whoami.yaml with an env var and a change-cause, so each variant is another pod template.
std::string whoami_manifest(const std::string& version, const std::string& extra_spec = "",
                            const std::string& image = "whoami:test") {
  return R"(apiVersion: v1
kind: Service
metadata:
  name: whoami
spec:
  selector:
    app: whoami
  ports:
  - protocol: TCP
    port: 6000
    targetPort: http
  type: LoadBalancer
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: whoami
  annotations:
    kubernetes.io/change-cause: "whoami )" +
         version + R"("
spec:
  replicas: 4
)" + extra_spec +
         R"(  selector:
    matchLabels:
      app: whoami
  template:
    metadata:
      labels:
        app: whoami
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: whoami
        image: )" +
         image + R"(
        imagePullPolicy: Never
        env:
        - name: VERSION
          value: ")" +
         version + R"("
        ports:
        - name: http
          containerPort: 8080
)";
}

// A client verb bounded by `timeout` (Daemon::skiff allows 60 s).
CommandResult skiff_for(const Daemon& d, const std::string& args, std::chrono::seconds timeout) {
  return run(skiff_binary() + " " + args + " --server " + d.server(), timeout);
}

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

// Pod name -> ReplicaSet name (its controller) for the Deployment's live pods.
std::map<std::string, std::string> pod_owners(const Daemon& d) {
  std::map<std::string, std::string> out;
  auto pods = d.get_json("pods -l app=whoami");
  if (!pods.is_object()) return out;
  for (const auto& p : pods["items"]) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    for (const auto& ref : p["metadata"].value("ownerReferences", nlohmann::json::array())) {
      out[p["metadata"]["name"]] = ref.value("name", "");
    }
  }
  return out;
}

// Keeps calling ip:6000 from `threads` clients until stopped, at most `max_requests` in all and
// `limit` in time; a request fails when it gets no whoami answer.
class Clients {
 public:
  Clients(std::string ip, int threads, int max_requests, std::chrono::seconds limit)
      : ip_(std::move(ip)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, deadline, max_requests] {
        while (!stop_ && std::chrono::steady_clock::now() < deadline &&
               answered_ + failed_ < max_requests) {
          const std::string body = http_get(ip_, 6000);
          if (body.rfind("pod=", 0) == 0) {
            ++answered_;
            std::lock_guard<std::mutex> lock(mu_);
            pods_.insert(body.substr(4, body.find(' ') - 4));
          } else {
            ++failed_;
          }
        }
      });
    }
  }
  ~Clients() { finish(); }
  void finish() {
    stop_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }
  int answered() const { return answered_; }
  int failed() const { return failed_; }
  std::set<std::string> pods() {
    std::lock_guard<std::mutex> lock(mu_);
    return pods_;
  }

 private:
  std::string ip_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0}, failed_{0};
  std::mutex mu_;
  std::set<std::string> pods_;
  std::vector<std::thread> workers_;
};

}  // namespace

TEST_CASE("a rollout of 4 replicas and an undo lose no request through the Service") {
  const fs::path dir = fs::temp_directory_path() / ("skiff-rollout-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto v1 = write(dir, "v1.yaml", whoami_manifest("v1"));
  const auto v2 = write(dir, "v2.yaml", whoami_manifest("v2"));
  Daemon d(options(18461, 161, v1));
  REQUIRE(d.build("whoami:test", kWhoami).exit_code == 0);
  d.start();
  REQUIRE(d.wait_ready(60000ms));
  INFO(d.log());
  auto first = d.skiff("rollout status deployment/whoami --timeout 60s");
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(first.output.find("deployment \"whoami\" successfully rolled out") != std::string::npos);
  const auto v1_pods = pod_owners(d);
  REQUIRE(v1_pods.size() == 4);
  const std::string v1_rs = v1_pods.begin()->second;

  Clients clients("127.0.0.161", 2, 20000, 150s);
  REQUIRE(eventually([&] { return clients.answered() > 20; }, 10000ms));

  // Rollout to v2: a new ReplicaSet replaces every pod, 4 at a time at most 5 pods.
  auto applied = d.skiff("apply -f " + v2.string());
  INFO(applied.output);
  CHECK(applied.output.find("deployment.apps/whoami configured") != std::string::npos);
  auto status = skiff_for(d, "rollout status deployment/whoami --timeout 90s", 100s);
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(status.output.find("Waiting for deployment \"whoami\" rollout to finish") !=
        std::string::npos);
  CHECK(status.output.find("deployment \"whoami\" successfully rolled out") != std::string::npos);
  REQUIRE(eventually([&] { return pod_owners(d).size() == 4; }, 30000ms));
  const auto v2_pods = pod_owners(d);
  const std::string v2_rs = v2_pods.begin()->second;
  CHECK(v2_rs != v1_rs);
  for (const auto& [pod, rs] : v2_pods) CHECK(rs == v2_rs);

  // Undo: back to v1's template, which its old ReplicaSet serves again as revision 3.
  auto undo = d.skiff("rollout undo deployment/whoami");
  INFO(undo.output);
  CHECK(undo.exit_code == 0);
  CHECK(undo.output.find("deployment.apps/whoami rolled back") != std::string::npos);
  status = skiff_for(d, "rollout status deployment/whoami --timeout 90s", 100s);
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(status.output.find("deployment \"whoami\" successfully rolled out") != std::string::npos);
  REQUIRE(eventually([&] { return pod_owners(d).size() == 4; }, 30000ms));
  for (const auto& [pod, rs] : pod_owners(d)) CHECK(rs == v1_rs);

  // Let the clients see the final pods, then stop them: not one request failed.
  const int before = clients.answered();
  REQUIRE(eventually([&] { return clients.answered() > before + 20; }, 10000ms));
  clients.finish();
  INFO("answered " << clients.answered() << ", failed " << clients.failed());
  CHECK(clients.failed() == 0);
  CHECK(clients.answered() > 100);
  // The clients were answered by v1 pods, v2 pods and the v1 template's new pods: 12 pods.
  CHECK(clients.pods().size() >= 12);

  auto history = d.skiff("rollout history deployment/whoami");
  INFO(history.output);
  CHECK(history.output.rfind("deployment.apps/whoami\n", 0) == 0);
  CHECK(std::regex_search(history.output, std::regex(R"(REVISION\s+CHANGE-CAUSE\n)")));
  CHECK(std::regex_search(history.output, std::regex(R"(\n2\s+whoami v2\n)")));
  CHECK(std::regex_search(history.output, std::regex(R"(\n3\s+whoami v1\n)")));
  CHECK_FALSE(std::regex_search(history.output, std::regex(R"(\n1\s)")));  // 1 became 3

  auto deploy = d.get_json("deployment whoami");
  REQUIRE(deploy.is_object());
  CHECK(deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3");
  CHECK(deploy["metadata"]["annotations"]["kubernetes.io/change-cause"] == "whoami v1");
  CHECK(deploy["status"]["updatedReplicas"] == 4);
  CHECK(deploy["status"]["availableReplicas"] == 4);
  CHECK(deploy["status"]["observedGeneration"] == deploy["metadata"]["generation"]);
  bool progressed = false;
  for (const auto& c : deploy["status"]["conditions"]) {
    if (c["type"] == "Progressing") progressed = c["reason"] == "NewReplicaSetAvailable";
  }
  CHECK(progressed);

  // What the controllers did, as `get events` and `describe` tell it.
  auto events = d.skiff("get events");
  INFO(events.output);
  CHECK(std::regex_search(events.output,
                          std::regex(R"(LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE)")));
  CHECK(std::regex_search(
      events.output,
      std::regex("Normal\\s+ScalingReplicaSet\\s+deployment/whoami\\s+Scaled up replica set " +
                 v2_rs + " to 1")));
  CHECK(std::regex_search(events.output, std::regex("Scaled down replica set " + v1_rs + " to 0")));
  CHECK(std::regex_search(events.output, std::regex(R"(SuccessfulCreate\s+replicaset/)")));
  CHECK(std::regex_search(events.output, std::regex(R"(Killing\s+pod/whoami-)")));
  auto described = d.skiff("describe deployment whoami");
  INFO(described.output);
  CHECK(described.output.find("Events:") != std::string::npos);
  CHECK(std::regex_search(
      described.output, std::regex(R"(Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller)")));
  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}

TEST_CASE("rollout status fails at the progress deadline and on its own timeout") {
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-rollout-deadline-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto good =
      write(dir, "good.yaml", whoami_manifest("v1", "  progressDeadlineSeconds: 4\n"));
  // An image that is not there (pull policy Never): the new pods can never start.
  const auto bad = write(dir, "bad.yaml",
                         whoami_manifest("v2", "  progressDeadlineSeconds: 4\n", "whoami:missing"));
  Daemon d(options(18462, 162, good));
  REQUIRE(d.build("whoami:test", kWhoami).exit_code == 0);
  d.start();
  REQUIRE(d.wait_ready(60000ms));
  INFO(d.log());
  REQUIRE(d.skiff("rollout status deployment/whoami --timeout 60s").exit_code == 0);

  REQUIRE(d.skiff("apply -f " + bad.string()).exit_code == 0);
  // Its own --timeout first: exit 1 with kubectl's message, well before the deadline.
  auto quick = skiff_for(d, "rollout status deployment/whoami --timeout 1s", 20s);
  INFO(quick.output);
  CHECK(quick.exit_code == 1);
  CHECK(quick.output.find("error: timed out waiting for the condition") != std::string::npos);

  const auto started = std::chrono::steady_clock::now();
  auto status = skiff_for(d, "rollout status deployment/whoami --timeout 60s", 70s);
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(status.output);
  CHECK(status.exit_code == 1);
  CHECK(status.output.find("Waiting for deployment \"whoami\" rollout to finish") !=
        std::string::npos);
  CHECK(status.output.find("error: deployment \"whoami\" exceeded its progress deadline") !=
        std::string::npos);
  CHECK(took < 30s);

  auto deploy = d.get_json("deployment whoami");
  REQUIRE(deploy.is_object());
  std::string reason, cond_status;
  for (const auto& c : deploy["status"]["conditions"]) {
    if (c["type"] == "Progressing") {
      reason = c.value("reason", "");
      cond_status = c.value("status", "");
    }
  }
  CHECK(reason == "ProgressDeadlineExceeded");
  CHECK(cond_status == "False");
  // maxUnavailable 25% of 4: three old pods keep serving while the new ones cannot start.
  CHECK(deploy["status"]["availableReplicas"] == 3);
  CHECK(http_get("127.0.0.162", 6000).rfind("pod=", 0) == 0);
  auto events = d.skiff("get events");
  INFO(events.output);
  CHECK(
      std::regex_search(events.output, std::regex(R"(Warning\s+ErrImageNeverPull\s+pod/whoami-)")));

  // Undo to the working template: the rollout finishes again.
  auto undo = d.skiff("rollout undo deployment/whoami");
  INFO(undo.output);
  CHECK(undo.output.find("deployment.apps/whoami rolled back") != std::string::npos);
  auto again = skiff_for(d, "rollout status deployment/whoami --timeout 60s", 70s);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}

TEST_CASE("history keeps revisionHistoryLimit old sets and undo goes to a named revision") {
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-rollout-history-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // Host-command pods without ports: Ready as soon as they run, so revisions come quickly.
  auto sleeper =
      [&](int rev) {
        return write(dir, "rev" + std::to_string(rev) + ".yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: sleeper
  annotations:
    kubernetes.io/change-cause: "revision )" + std::to_string(rev) + R"("
spec:
  replicas: 2
  revisionHistoryLimit: 2
  minReadySeconds: 2
  selector:
    matchLabels:
      app: sleeper
  template:
    metadata:
      labels:
        app: sleeper
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: sleeper
        image: sleeper:host
        command: ["sleep", "3600"]
        env:
        - name: REV
          value: ")" + std::to_string(rev) + R"("
)");
      };
  Daemon d(options(18463, 163, sleeper(1)));
  d.start();
  REQUIRE(eventually([&] { return d.skiff("get deployment sleeper").exit_code == 0; }, 30000ms));
  INFO(d.log());
  REQUIRE(d.skiff("rollout status deployment/sleeper --timeout 60s").exit_code == 0);
  for (int rev = 2; rev <= 4; ++rev) {
    REQUIRE(d.skiff("apply -f " + sleeper(rev).string()).exit_code == 0);
    const auto started = std::chrono::steady_clock::now();
    auto s = skiff_for(d, "rollout status deployment/sleeper --timeout 60s", 70s);
    const auto took = std::chrono::steady_clock::now() - started;
    INFO(s.output);
    REQUIRE(s.exit_code == 0);
    // 2 replicas, surge 1, unavailable 0: two steps, each waiting for a new pod to be Ready
    // for minReadySeconds (2 s, of which whole-second timestamps may lose up to one).
    CHECK(took >= 1500ms);
  }
  // Revision 1 was pruned: the current set and two old ones remain.
  REQUIRE(eventually(
      [&] {
        auto rs = d.get_json("rs");
        return rs.is_object() && rs["items"].size() == 3;
      },
      20000ms));
  auto history = d.skiff("rollout history deployment/sleeper");
  INFO(history.output);
  CHECK(std::regex_search(
      history.output,
      std::regex(R"(REVISION\s+CHANGE-CAUSE\n2\s+revision 2\n3\s+revision 3\n4\s+revision 4\n)")));
  auto one = d.skiff("rollout history deployment/sleeper --revision 3");
  INFO(one.output);
  CHECK(one.output.find("deployment.apps/sleeper with revision #3") != std::string::npos);
  CHECK(one.output.find("Pod Template:") != std::string::npos);

  auto gone = d.skiff("rollout undo deployment/sleeper --to-revision 1");
  INFO(gone.output);
  CHECK(gone.exit_code == 1);
  CHECK(gone.output.find("unable to find specified revision 1 in history") != std::string::npos);
  auto same = d.skiff("rollout undo deployment/sleeper --to-revision 4");
  INFO(same.output);
  CHECK(same.exit_code == 0);
  CHECK(same.output.find("skipped rollback (current template already matches revision 4)") !=
        std::string::npos);

  auto undo = d.skiff("rollout undo deployment/sleeper --to-revision 2");
  INFO(undo.output);
  CHECK(undo.exit_code == 0);
  REQUIRE(skiff_for(d, "rollout status deployment/sleeper --timeout 60s", 70s).exit_code == 0);
  history = d.skiff("rollout history deployment/sleeper");
  INFO(history.output);
  CHECK(std::regex_search(history.output,
                          std::regex(R"(\n3\s+revision 3\n4\s+revision 4\n5\s+revision 2\n)")));
  auto pods = d.get_json("pods -l app=sleeper");
  REQUIRE(pods.is_object());
  int rev2 = 0;
  for (const auto& p : pods["items"]) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    if (p["spec"]["containers"][0]["env"][0]["value"] == "2") ++rev2;
  }
  CHECK(rev2 == 2);

  // Not a Deployment, or not there: kubectl's errors.
  auto wrong = d.skiff("rollout status pod/sleeper");
  CHECK(wrong.exit_code == 1);
  auto missing = d.skiff("rollout status deployment/nope");
  INFO(missing.output);
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("deployments.apps \"nope\" not found") != std::string::npos);
  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}

TEST_CASE("a crashing pod shows BackOff events with a count in get events and describe") {
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-rollout-crash-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto crash = write(dir, "crash.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: crasher
spec:
  replicas: 1
  selector:
    matchLabels:
      app: crasher
  template:
    metadata:
      labels:
        app: crasher
    spec:
      containers:
      - name: crasher
        image: crasher:host
        command: ["sh", "-c", "echo bye; exit 3"]
)");
  Daemon d(options(18464, 164, crash));
  d.start();
  INFO(d.log());
  std::string pod;
  REQUIRE(eventually(
      [&] {
        auto pods = d.get_json("pods -l app=crasher");
        if (!pods.is_object() || pods["items"].empty()) return false;
        pod = pods["items"][0]["metadata"]["name"];
        const auto statuses =
            pods["items"][0]["status"].value("containerStatuses", nlohmann::json::array());
        return !statuses.empty() && statuses[0].value("restartCount", 0) >= 3;
      },
      60000ms));
  std::string events;
  REQUIRE(eventually(
      [&] {
        events = d.skiff("get events").output;
        return std::regex_search(events, std::regex(R"(\(x[2-9]\d* over)"));
      },
      30000ms));
  INFO(events);
  CHECK(std::regex_search(
      events, std::regex("Warning\\s+BackOff\\s+pod/" + pod +
                         "\\s+Back-off restarting failed container crasher in pod " + pod)));
  CHECK(std::regex_search(events,
                          std::regex("Normal\\s+Scheduled\\s+pod/" + pod +
                                     "\\s+Successfully assigned default/" + pod + " to skiff")));
  CHECK(std::regex_search(events, std::regex("Normal\\s+Started\\s+pod/" + pod)));
  // Repeats are one event with a count, not one line each.
  auto json = d.get_json("events");
  REQUIRE(json.is_object());
  int backoff_events = 0, backoff_count = 0;
  for (const auto& e : json["items"]) {
    if (e["reason"] == "BackOff") {
      ++backoff_events;
      backoff_count = e.value("count", 0);
      CHECK(e["involvedObject"]["kind"] == "Pod");
      CHECK(e["involvedObject"]["fieldPath"] == "spec.containers{crasher}");
      CHECK(e["source"]["component"] == "kubelet");
      CHECK(e["type"] == "Warning");
    }
  }
  CHECK(backoff_events == 1);
  CHECK(backoff_count >= 2);

  auto described = d.skiff("describe pod " + pod);
  INFO(described.output);
  CHECK(std::regex_search(described.output,
                          std::regex(R"(Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n)")));
  CHECK(std::regex_search(
      described.output,
      std::regex(
          R"(Warning\s+BackOff\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Back-off restarting failed container)")));
  // The events API answers like the others, and filters by namespace.
  auto api = run("curl -sf http://" + d.server() + "/api/v1/namespaces/default/events");
  CHECK(api.exit_code == 0);
  CHECK(api.output.find("\"kind\":\"EventList\"") != std::string::npos);
  auto other = run("curl -sf http://" + d.server() + "/api/v1/namespaces/other/events");
  CHECK(other.output.find("\"items\":[]") != std::string::npos);
  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}
