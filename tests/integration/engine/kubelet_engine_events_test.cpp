// The kubelet's answer to the engine events only the docker engine sends: an image
// HEALTHCHECK's verdict (kHealth) and a dead sandbox (kSandboxExited). Real processes on the
// process engine, with the events injected through a forwarding engine, so each transition is
// exact and needs no dockerd (tests/integration/docker has the same against a real one).
#include <catch2/catch.hpp>
#include <map>

#include "controller/engine/process_engine.h"
#include "controller/event_recorder.h"
#include "controller/kubelet.h"
#include "controller/store.h"
#include "test_support.h"

using namespace skiff::controller;
using skiff::config::Container;
using skiff::config::Pod;
using skiff::test::process_gone;
using skiff::test::run_until;
using skiff::test::TempDir;
using namespace std::chrono_literals;
using engine::ContainerEvent;

namespace {

// Forwards everything to the process engine; remembers each pod's sandbox and lets the test
// deliver events of its own.
class InjectingEngine : public engine::Engine {
 public:
  explicit InjectingEngine(engine::ProcessEngine& real) : real_(real) {}

  std::string_view name() const override { return "injecting"; }
  void set_event_handler(EventHandler handler) override {
    handler_ = handler;
    real_.set_event_handler(std::move(handler));
  }
  void inspect_image(const std::string& ref,
                     Done<std::optional<engine::ImageConfig>> done) override {
    real_.inspect_image(ref, std::move(done));
  }
  void create_sandbox(const engine::SandboxRequest& request, Done<engine::Sandbox> done) override {
    ++sandboxes_created;
    real_.create_sandbox(
        request, [this, uid = request.pod_uid, done = std::move(done)](Result<engine::Sandbox> r) {
          if (r) sandbox_of[uid] = r->id;
          done(std::move(r));
        });
  }
  void remove_sandbox(const std::string& id) override { real_.remove_sandbox(id); }
  void start_container(const engine::ContainerRequest& request, Done<std::string> done) override {
    real_.start_container(request, std::move(done));
  }
  void stop_container(const std::string& id, std::chrono::seconds grace) override {
    real_.stop_container(id, grace);
  }
  void exec(const std::string& id, const std::vector<std::string>& argv,
            std::chrono::milliseconds timeout,
            std::function<void(engine::ExecResult)> done) override {
    real_.exec(id, argv, timeout, std::move(done));
  }
  Result<std::string> logs(const std::string& uid, const std::string& name,
                           bool previous) override {
    return real_.logs(uid, name, previous);
  }
  void recover(Done<std::vector<engine::RecoveredContainer>> done) override {
    real_.recover(std::move(done));
  }
  void kill_all() override { real_.kill_all(); }

  void inject(const ContainerEvent& ev) { handler_(ev); }

  std::map<std::string, std::string> sandbox_of;  // pod uid -> sandbox id
  int sandboxes_created = 0;

 private:
  engine::ProcessEngine& real_;
  EventHandler handler_;
};

struct Cluster {
  explicit Cluster(std::chrono::milliseconds backoff_base = 100ms)
      : real(io, engine::ProcessEngineOptions{dir.path}),
        engine(real),
        recorder(io, store),
        kubelet(io, store, engine, table, options(&recorder, backoff_base)) {
    kubelet.start();
  }
  ~Cluster() {
    bool done = false;
    kubelet.shutdown([&] { done = true; });
    run_until(
        io, [&] { return done; }, 10s);
  }

  static KubeletOptions options(EventRecorder* events, std::chrono::milliseconds backoff_base) {
    KubeletOptions o;
    o.backoff_base = backoff_base;
    o.backoff_max = 10 * backoff_base;
    o.port_check_period = 50ms;
    o.unpublish_wait_max = 300ms;
    o.events = events;
    return o;
  }

  Pod pod(const std::string& name) const {
    auto p = store.get(skiff::config::Kind::kPod, "default", name);
    const Pod* pod = as<Pod>(p);
    return pod ? *pod : Pod{};
  }

  // The running container's engine id ("" when none runs).
  std::string container_id(const std::string& name) const {
    const auto& statuses = pod(name).status.container_statuses;
    if (statuses.empty() || !statuses[0].state.running) return "";
    const std::string& id = statuses[0].container_id;
    const std::string prefix = "injecting://";
    return id.rfind(prefix, 0) == 0 ? id.substr(prefix.size()) : "";
  }

  std::vector<skiff::config::Event> events(const std::string& pod, const std::string& reason) {
    std::vector<skiff::config::Event> out;
    for (const auto& obj : store.list(skiff::config::Kind::kEvent)) {
      const auto* e = as<skiff::config::Event>(obj);
      if (e && e->involved_object.name == pod && e->reason == reason) out.push_back(*e);
    }
    return out;
  }

  // Runs the loop for `d` (to show that nothing changes).
  void idle(std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    run_until(
        io, [&] { return std::chrono::steady_clock::now() > until; }, d + 1s);
  }

  boost::asio::io_context io;
  TempDir dir;
  Store store;
  ServiceTableSource table;
  engine::ProcessEngine real;
  InjectingEngine engine;
  EventRecorder recorder;
  Kubelet kubelet;
};

bool ready(const Pod& p) {
  for (const auto& c : p.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

Pod web_pod(const std::string& name) {
  Pod p;
  p.metadata.name = name;
  Container c;
  c.name = "web";
  c.image = "python:3.12";
  c.command = {"python3", "-m", "http.server", "--bind", "$(POD_IP)", "$(PORT)"};
  c.ports.push_back({"http", 8000, "TCP", 0});
  p.spec.containers.push_back(c);
  p.spec.termination_grace_period_seconds = 5;
  return p;
}

ContainerEvent health(const Pod& p, const std::string& id, bool healthy) {
  ContainerEvent ev;
  ev.type = ContainerEvent::Type::kHealth;
  ev.container_id = id;
  ev.pod_uid = p.metadata.uid;
  ev.container_name = "web";
  ev.healthy = healthy;
  ev.message = healthy ? "" : "cat: can't open '/tmp/healthy'";
  return ev;
}

}  // namespace

TEST_CASE("kubelet: an unhealthy verdict makes the pod unready, no restart, until healthy") {
  Cluster k;
  REQUIRE(k.store.create(web_pod("web")).ok());
  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")); }, 15s));
  const Pod before = k.pod("web");
  const std::string id = k.container_id("web");
  REQUIRE(!id.empty());

  k.engine.inject(health(before, id, false));
  REQUIRE(run_until(
      k.io, [&] { return !ready(k.pod("web")); }, 5s));
  Pod p = k.pod("web");
  REQUIRE(p.status.container_statuses.size() == 1);
  CHECK_FALSE(p.status.container_statuses[0].ready);
  CHECK(p.status.container_statuses[0].state.running.has_value());
  CHECK(p.status.container_statuses[0].restart_count == 0);
  CHECK(p.status.phase == "Running");
  REQUIRE(run_until(
      k.io, [&] { return !k.events("web", "Unhealthy").empty(); }, 5s));
  auto unhealthy = k.events("web", "Unhealthy");
  REQUIRE(unhealthy.size() == 1);
  CHECK(unhealthy[0].type == "Warning");
  CHECK(unhealthy[0].message == "HEALTHCHECK failed: cat: can't open '/tmp/healthy'");

  // The readiness check of the open port keeps passing: the verdict alone holds it unready.
  // A verdict about another container id (an earlier run) changes nothing.
  k.engine.inject(health(before, "not-" + id, true));
  k.idle(700ms);
  CHECK_FALSE(ready(k.pod("web")));

  k.engine.inject(health(before, id, true));
  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")); }, 5s));
  CHECK(k.container_id("web") == id);
  CHECK(k.pod("web").status.container_statuses[0].restart_count == 0);
  CHECK(k.events("web", "Unhealthy").size() == 1);
}

TEST_CASE("kubelet: a dead sandbox kills the pod's containers and starts them in a new one") {
  Cluster k;
  REQUIRE(k.store.create(web_pod("web")).ok());
  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")); }, 15s));
  const Pod before = k.pod("web");
  const std::string old_id = k.container_id("web");
  const int old_pid = k.real.pid_of(old_id);
  REQUIRE(old_pid > 0);
  REQUIRE(k.engine.sandboxes_created == 1);

  ContainerEvent lost;
  lost.type = ContainerEvent::Type::kSandboxExited;
  lost.pod_uid = before.metadata.uid;
  SECTION("an event about another sandbox changes nothing") {
    lost.container_id = "sandbox-of-an-earlier-run";
    k.engine.inject(lost);
    k.idle(700ms);
    CHECK(k.container_id("web") == old_id);
    CHECK(ready(k.pod("web")));
    CHECK(k.engine.sandboxes_created == 1);
    CHECK(k.events("web", "SandboxChanged").empty());
  }
  SECTION("its own sandbox: killed, new sandbox, started again with its restart counted") {
    lost.container_id = k.engine.sandbox_of.at(before.metadata.uid);
    k.engine.inject(lost);
    REQUIRE(run_until(
        k.io, [&] { return !ready(k.pod("web")); }, 5s));
    REQUIRE(run_until(
        k.io,
        [&] {
          Pod p = k.pod("web");
          return ready(p) && p.status.container_statuses[0].restart_count == 1;
        },
        15s));
    CHECK(process_gone(old_pid));
    const std::string new_id = k.container_id("web");
    CHECK(!new_id.empty());
    CHECK(new_id != old_id);
    CHECK(k.engine.sandboxes_created == 2);
    Pod p = k.pod("web");
    REQUIRE(p.status.container_statuses[0].last_state.terminated.has_value());
    CHECK(p.status.container_statuses[0].last_state.terminated->container_id ==
          "injecting://" + old_id);
    CHECK(k.events("web", "SandboxChanged").size() == 1);
    CHECK(k.events("web", "Killing").size() == 1);
  }
}

TEST_CASE("kubelet: a sandbox that dies again within the back-off restarts its containers late") {
  // Back-off of 3 s: the first restart after a sandbox change is immediate, the next one within
  // the window waits it out in CrashLoopBackOff (as a crashing container would) rather than
  // restarting in a tight loop with every new sandbox.
  Cluster k(3s);
  REQUIRE(k.store.create(web_pod("web")).ok());
  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")); }, 15s));
  const std::string uid = k.pod("web").metadata.uid;
  auto lose_sandbox = [&] {
    ContainerEvent lost;
    lost.type = ContainerEvent::Type::kSandboxExited;
    lost.pod_uid = uid;
    lost.container_id = k.engine.sandbox_of.at(uid);
    k.engine.inject(lost);
  };
  auto restarts = [&] {
    Pod p = k.pod("web");
    return p.status.container_statuses.empty() ? -1 : p.status.container_statuses[0].restart_count;
  };

  lose_sandbox();
  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")) && restarts() == 1; }, 15s));
  const auto first_restart = std::chrono::steady_clock::now();
  CHECK(k.events("web", "BackOff").empty());

  lose_sandbox();
  REQUIRE(run_until(
      k.io,
      [&] {
        Pod p = k.pod("web");
        return k.engine.sandboxes_created == 3 && !p.status.container_statuses.empty() &&
               p.status.container_statuses[0].state.waiting &&
               p.status.container_statuses[0].state.waiting->reason == "CrashLoopBackOff";
      },
      10s));
  CHECK(restarts() == 1);
  CHECK(k.events("web", "BackOff").size() == 1);
  CHECK(k.container_id("web").empty());

  REQUIRE(run_until(
      k.io, [&] { return ready(k.pod("web")) && restarts() == 2; }, 20s));
  // Started no earlier than the window after the first restart (some slack for the clock
  // reads around it).
  CHECK(std::chrono::steady_clock::now() - first_restart >= 2500ms);
  CHECK(k.engine.sandboxes_created == 3);
  auto changed = k.events("web", "SandboxChanged");  // one Event, counted twice
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].count == 2);
}
