// The kubectl verbs that PATCH, with the real kubectl against a real daemon: scale, label,
// annotate, set image, apply of a changed manifest (then "unchanged"), rollout restart, undo,
// pause and resume. Each asserts what a user sees: kubectl's output and the pods that run.
#include <catch2/catch.hpp>
#include <set>

#include "tests/integration/kubectl/kubectl_support.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

std::string manifest(int replicas, const std::string& image, const std::string& greeting) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: )" +
         std::to_string(replicas) + R"(
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: )" +
         image + R"(
        command: ["sh", "-c", "exec sleep 3600"]
        env:
        - name: GREETING
          value: )" +
         greeting + "\n";
}

struct RunningPod {
  std::string name;
  std::string image;
  std::string greeting;
};

// Pods of the deployment that run and are not being deleted.
std::vector<RunningPod> running_pods(const Daemon& d) {
  std::vector<RunningPod> out;
  json pods = d.get_json("pods");
  if (!pods.is_object()) return out;
  for (const auto& p : pods.value("items", json::array())) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    if (p.value("status", json::object()).value("phase", "") != "Running") continue;
    const json& c = p["spec"]["containers"][0];
    RunningPod pod{p["metadata"]["name"], c.value("image", ""), ""};
    for (const auto& e : c.value("env", json::array())) {
      if (e.value("name", "") == "GREETING") pod.greeting = e.value("value", "");
    }
    out.push_back(std::move(pod));
  }
  return out;
}

// True once exactly `count` pods run and every one satisfies `each`.
bool pods_settle(const Daemon& d, size_t count, const std::function<bool(const RunningPod&)>& each,
                 std::chrono::milliseconds timeout = 60000ms) {
  return eventually(
      [&] {
        auto pods = running_pods(d);
        return pods.size() == count && std::all_of(pods.begin(), pods.end(), each);
      },
      timeout);
}

std::set<std::string> names(const std::vector<RunningPod>& pods) {
  std::set<std::string> out;
  for (const auto& p : pods) out.insert(p.name);
  return out;
}

}  // namespace

TEST_CASE("kubectl scale, label, annotate, set image, apply and rollout work through PATCH",
          "[kubectl][patch]") {
  if (kubectl_missing()) return;
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-kubectl-patch-" + std::to_string(getpid()));
  fs::create_directories(dir);
  Daemon::Options o;
  o.api_port = 28501;
  o.node_address = "127.35.0.1";
  o.pod_cidr = "127.35.1.0/24";
  o.service_cidr = "127.35.2.0/24";
  Daemon d(o);
  d.start();
  REQUIRE(eventually([&] { return http_request(d.server(), "GET", "/healthz").status == 200; },
                     60000ms));
  INFO(d.log());
  const fs::path home = dir / "home";
  auto kubectl = [&](const std::string& args) {
    auto r = run_kubectl(d.server(), args, home);
    UNSCOPED_INFO("kubectl " << args << " -> " << r.exit_code << "\n" << r.out << r.err);
    return r;
  };

  std::ofstream(dir / "v1.yaml") << manifest(1, "host/sh", "hello");
  auto r = kubectl("apply --validate=false -f " + (dir / "v1.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web created") != std::string::npos);
  REQUIRE(pods_settle(d, 1, [](const RunningPod&) { return true; }));

  // kubectl scale patches the scale subresource with a merge patch.
  r = kubectl("scale deploy/web --replicas=3");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web scaled") != std::string::npos);
  REQUIRE(pods_settle(d, 3, [](const RunningPod&) { return true; }));

  const std::string pod = running_pods(d).front().name;
  r = kubectl("label pod " + pod + " tier=front");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("pod/" + pod + " labeled") != std::string::npos);
  CHECK(d.get_json("pod " + pod)["metadata"]["labels"]["tier"] == "front");
  CHECK(d.get_json("pod " + pod)["metadata"]["labels"]["app"] == "web");
  r = kubectl("annotate deploy web example.com/note=hi");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web annotated") != std::string::npos);
  CHECK(d.get_json("deployment web")["metadata"]["annotations"]["example.com/note"] == "hi");

  // kubectl set image: a strategic merge patch of one container, a new ReplicaSet.
  r = kubectl("set image deploy/web web=host/sh-v2");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web image updated") != std::string::npos);
  CHECK(pods_settle(
      d, 3, [](const RunningPod& p) { return p.image == "host/sh-v2" && p.greeting == "hello"; }));
  CHECK(d.get_json("replicasets")["items"].size() == 2);

  // kubectl apply of a changed manifest: replicas and an env var; again: unchanged.
  std::ofstream(dir / "v2.yaml") << manifest(2, "host/sh-v2", "bye");
  r = kubectl("apply --validate=false -f " + (dir / "v2.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web configured") != std::string::npos);
  CHECK(pods_settle(
      d, 2, [](const RunningPod& p) { return p.image == "host/sh-v2" && p.greeting == "bye"; }));
  r = kubectl("apply --validate=false -f " + (dir / "v2.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web unchanged") != std::string::npos);

  // kubectl rollout restart: a template annotation, so every pod is replaced.
  const auto before = names(running_pods(d));
  r = kubectl("rollout restart deploy/web");
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web restarted") != std::string::npos);
  CHECK(pods_settle(
      d, 2, [&](const RunningPod& p) { return before.count(p.name) == 0 && p.greeting == "bye"; }));

  auto template_annotations = [&] {
    json d_web = d.get_json("deployment web");
    if (!d_web.is_object()) return json::object();
    return d_web["spec"]["template"]["metadata"].value("annotations", json::object());
  };
  CHECK(template_annotations().contains("kubectl.kubernetes.io/restartedAt"));

  // kubectl rollout undo: a JSON patch of the template back to the previous revision's, the
  // one before the restart.
  const auto restarted = names(running_pods(d));
  r = kubectl("rollout undo deploy/web");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web rolled back") != std::string::npos);
  CHECK_FALSE(template_annotations().contains("kubectl.kubernetes.io/restartedAt"));
  CHECK(pods_settle(d, 2, [&](const RunningPod& p) {
    return restarted.count(p.name) == 0 && p.greeting == "bye";
  }));

  // pause and resume: a strategic merge patch of spec.paused.
  r = kubectl("rollout pause deploy/web");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web paused") != std::string::npos);
  CHECK(d.get_json("deployment web")["spec"].value("paused", false));
  r = kubectl("rollout resume deploy/web");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web resumed") != std::string::npos);
  CHECK_FALSE(d.get_json("deployment web")["spec"].value("paused", false));

  // kubectl patch of each type; a failed JSON patch test is an error kubectl shows.
  r = kubectl("patch deploy web --type=merge -p " +
              shell_quote(R"({"metadata":{"labels":{"patched":"merge"}}})"));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("deployment.apps/web patched") != std::string::npos);
  r = kubectl("patch deploy web --type=json -p " +
              shell_quote(R"([{"op":"add","path":"/metadata/labels/json","value":"yes"}])"));
  CHECK(r.exit_code == 0);
  r = kubectl("patch deploy web --type=json -p " +
              shell_quote(R"([{"op":"test","path":"/spec/replicas","value":99}])"));
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("test failed") != std::string::npos);
  const json labels = d.get_json("deployment web")["metadata"]["labels"];
  CHECK(labels.value("patched", "") == "merge");
  CHECK(labels.value("json", "") == "yes");

  CHECK(d.stop() == 0);
  fs::remove_all(dir);
}
