#include "controller/controller_metrics.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "controller/endpoints_controller.h"
#include "controller/service_table_sync.h"
#include "controller/work_queue.h"
#include "metrics/registry.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using namespace std::chrono_literals;

namespace {

config::ContainerStatus running(const std::string& name, const std::string& id, int restarts) {
  config::ContainerStatus s;
  s.name = name;
  s.container_id = "process://" + id;
  s.restart_count = restarts;
  s.state.running = config::ContainerStateRunning{"2026-11-25T21:00:00Z"};
  return s;
}

config::ContainerStatus waiting(const std::string& name, const std::string& reason, int restarts) {
  config::ContainerStatus s;
  s.name = name;
  s.restart_count = restarts;
  s.state.waiting = config::ContainerStateWaiting{reason, ""};
  return s;
}

// The value of one child of a counter or gauge family; -1 if absent.
double value_of(const metrics::Registry& registry, const std::string& family,
                const std::vector<std::string>& labels) {
  for (const auto& f : registry.collect()) {
    if (f.name != family) continue;
    for (const auto& c : f.children) {
      if (c.label_values == labels) return c.value;
    }
  }
  return -1;
}

// The observation count of an unlabelled histogram; -1 if absent.
double count_of(const metrics::Registry& registry, const std::string& family) {
  for (const auto& f : registry.collect()) {
    if (f.name == family && !f.children.empty()) {
      return static_cast<double>(f.children[0].histogram.count);
    }
  }
  return -1;
}

}  // namespace

TEST_CASE("pod transitions: first start, container runs, restarts and failures") {
  auto before = testing::make_pod("web", {});
  before.status.container_statuses = {waiting("app", "ContainerCreating", 0)};
  auto after = before;
  after.status.phase = "Running";
  after.status.container_statuses = {running("app", "a1", 0)};

  auto t = pod_transition(before, after);
  CHECK(t.started);
  CHECK(t.container_starts == 1);
  CHECK(t.restarts == 0);
  CHECK(t.failures.empty());

  // Nothing changed: nothing counted, so status rewrites never double count.
  t = pod_transition(after, after);
  CHECK_FALSE(t.started);
  CHECK(t.container_starts == 0);

  // It crashed and is backing off: a restart, and a CrashLoopBackOff failure once.
  auto crashing = after;
  crashing.status.container_statuses = {waiting("app", "CrashLoopBackOff", 1)};
  t = pod_transition(after, crashing);
  CHECK(t.restarts == 1);
  REQUIRE(t.failures.size() == 1);
  CHECK(t.failures[0] == "CrashLoopBackOff");
  CHECK(pod_transition(crashing, crashing).failures.empty());

  // Running again under a new container id, with no stored state in between.
  auto again = after;
  again.status.container_statuses = {running("app", "a2", 2)};
  t = pod_transition(after, again);
  CHECK(t.container_starts == 1);
  CHECK(t.restarts == 2);
  CHECK_FALSE(t.started);

  // Phase Failed counts once; a creating container is not a failure.
  auto failed = after;
  failed.status.phase = "Failed";
  t = pod_transition(after, failed);
  REQUIRE(t.failures.size() == 1);
  CHECK(t.failures[0] == "PodFailed");
  CHECK(pod_transition(after, before).failures.empty());

  // A waiting reason outside the bounded set is not a label value.
  auto odd = after;
  odd.status.container_statuses = {waiting("app", "SomethingNew", 0)};
  CHECK(pod_transition(after, odd).failures.empty());
}

TEST_CASE("pod transitions: Ready turning on and off") {
  auto unready = testing::make_pod("web", {}, "127.244.0.2", false);
  auto ready = testing::make_pod("web", {}, "127.244.0.2", true);
  CHECK(pod_transition(unready, ready).became_ready);
  CHECK_FALSE(pod_transition(ready, ready).became_ready);
  CHECK(pod_transition(ready, unready).became_unready);
  auto terminating = ready;
  terminating.metadata.deletion_timestamp = "2026-11-25T21:00:00Z";
  CHECK(pod_transition(ready, terminating).became_unready);
}

TEST_CASE("programming latency: from Ready to the programmed version that routes to the pod") {
  using Clock = ProgrammingLatencyTracker::Clock;
  ProgrammingLatencyTracker tracker;
  const Clock::time_point t0{};
  tracker.ready("default", "web-1", t0);
  tracker.ready("default", "lonely", t0);  // selected by no Service
  CHECK(tracker.pending() == 2);

  ServiceTable table;
  table.version = 7;
  ServiceView view;
  view.ns = "default";
  view.name = "web";
  ServicePortView port;
  port.endpoints.push_back(EndpointView{"127.244.0.2", 5000, "web-1", ""});
  view.ports.push_back(port);
  table.services.push_back(view);

  tracker.published(table, t0 + 5ms);
  CHECK(tracker.pending() == 1);
  CHECK(tracker.awaiting() == 1);
  CHECK(tracker.programmed(6, t0 + 10ms).empty());  // an older version routes nowhere new
  auto done = tracker.programmed(7, t0 + 12ms);
  REQUIRE(done.size() == 1);
  CHECK(done[0] == 12ms);
  CHECK(tracker.awaiting() == 0);
  CHECK(tracker.programmed(8, t0 + 20ms).empty());  // measured once

  // A pod that went away before it was routed is forgotten; so is one never routed, in time.
  tracker.ready("default", "web-2", t0);
  tracker.gone("default", "web-2");
  CHECK(tracker.pending() == 1);
  tracker.published(ServiceTable{}, t0 + ProgrammingLatencyTracker::kPendingTimeout + 1s);
  CHECK(tracker.pending() == 0);
}

TEST_CASE("programming latency tracking is bounded") {
  ProgrammingLatencyTracker tracker;
  const ProgrammingLatencyTracker::Clock::time_point t0{};
  for (std::size_t i = 0; i < ProgrammingLatencyTracker::kMaxTracked + 10; ++i) {
    tracker.ready("default", "pod-" + std::to_string(i), t0);
  }
  CHECK(tracker.pending() == ProgrammingLatencyTracker::kMaxTracked);
}

TEST_CASE("a named work queue reports each add and reconcile to the loop's observer") {
  struct Recorder : WorkQueueObserver {
    std::vector<std::string> events;
    void added(std::string_view q, std::size_t depth) override {
      events.push_back("add " + std::string(q) + " " + std::to_string(depth));
    }
    void reconciled(std::string_view q, std::chrono::steady_clock::duration took,
                    std::size_t depth) override {
      CHECK(took >= std::chrono::steady_clock::duration::zero());
      events.push_back("run " + std::string(q) + " " + std::to_string(depth));
    }
  };
  boost::asio::io_context io;
  auto recorder = std::make_shared<Recorder>();
  boost::asio::use_service<WorkQueueObserverSlot>(io).set(recorder);
  int runs = 0;
  WorkQueue<int> named(io, "things", [&](int) { ++runs; });
  WorkQueue<int> unnamed(io, [&](int) { ++runs; });
  named.add(1);
  named.add(2);
  named.add(1);  // deduplicated
  unnamed.add(1);
  io.run();
  CHECK(runs == 3);
  CHECK(recorder->events == std::vector<std::string>{"add things 1", "add things 2", "add things 2",
                                                     "run things 1", "run things 0"});
}

TEST_CASE("controller metrics: reconciles, object counts, pod lifecycle and programming latency") {
  boost::asio::io_context io;
  Store store;
  ServiceTableSource source;
  metrics::Registry registry;
  ControllerMetrics controller_metrics(io, store, source, registry);
  EndpointsController endpoints(io, store);
  ServiceTableSync sync(io, store, source, 0ms);
  sync.set_sync_observer([&](auto took) { controller_metrics.observe_sync(took); });
  controller_metrics.start();
  endpoints.start();
  sync.start();

  auto svc = testing::make_service("web", {{"app", "web"}});
  svc.metadata.namespace_ = "default";
  svc.spec.cluster_ip = "127.96.0.10";
  REQUIRE(store.create(config::Object(svc)).ok());
  auto pod = testing::make_pod("web-1", {{"app", "web"}});
  pod.metadata.namespace_ = "default";
  REQUIRE(store.create(config::Object(pod)).ok());
  io.run();
  CHECK(value_of(registry, "skiff_controller_objects", {"Service"}) == 1);
  CHECK(value_of(registry, "skiff_controller_objects", {"Pod"}) == 1);
  CHECK(value_of(registry, "skiff_controller_objects", {"Deployment"}) == 0);
  CHECK(value_of(registry, "skiff_controller_reconciles_total", {"endpoints"}) >= 1);
  CHECK(value_of(registry, "skiff_controller_reconciles_total", {"deployment"}) == 0);
  CHECK(count_of(registry, "skiff_controller_service_table_sync_duration_seconds") >= 1);
  CHECK(count_of(registry, "skiff_controller_network_programming_duration_seconds") == 0);

  // The pod starts and turns Ready: with no proxy registered, the published table counts as
  // programmed at once, so one latency is observed.
  auto started = pod;
  started.status.phase = "Running";
  started.status.pod_ip = "127.244.0.2";
  started.status.container_statuses = {running("app", "c1", 0)};
  started.status.conditions = {config::Condition{"Ready", "True", "", "", "", ""}};
  REQUIRE(store.update_status(config::Object(started)).ok());
  io.restart();
  io.run();
  CHECK(value_of(registry, "skiff_controller_pod_starts_total", {"default"}) == 1);
  CHECK(value_of(registry, "skiff_controller_container_starts_total", {"default"}) == 1);
  REQUIRE(source.current()->find("default", "web") != nullptr);
  CHECK(source.current()->find("default", "web")->ports.at(0).endpoints.size() == 1);
  CHECK(count_of(registry, "skiff_controller_network_programming_duration_seconds") == 1);

  // A registered programmer holds the measurement back until it reports the version.
  const int programmer = source.add_programmer();
  auto crashed = started;
  crashed.status.container_statuses = {waiting("app", "CrashLoopBackOff", 1)};
  crashed.status.conditions = {config::Condition{"Ready", "False", "", "", "", ""}};
  REQUIRE(store.update_status(config::Object(crashed)).ok());
  io.restart();
  io.run();  // the table without the pod is published
  CHECK(source.current()->find("default", "web")->ports.at(0).endpoints.empty());
  auto back = started;
  back.status.container_statuses = {running("app", "c2", 1)};
  REQUIRE(store.update_status(config::Object(back)).ok());
  io.restart();
  io.run();
  CHECK(value_of(registry, "skiff_controller_container_restarts_total", {"default"}) == 1);
  CHECK(value_of(registry, "skiff_controller_pod_failures_total",
                 {"default", "CrashLoopBackOff"}) == 1);
  CHECK(count_of(registry, "skiff_controller_network_programming_duration_seconds") == 1);
  source.report_programmed(programmer, source.current()->version);
  io.restart();
  io.run();
  CHECK(count_of(registry, "skiff_controller_network_programming_duration_seconds") == 2);
  source.remove_programmer(programmer);

  // Unready and Ready again within one loop turn: the table never changed, nothing to measure.
  REQUIRE(store.update_status(config::Object(crashed)).ok());
  auto again = back;
  again.status.container_statuses = {running("app", "c3", 2)};
  REQUIRE(store.update_status(config::Object(again)).ok());
  io.restart();
  io.run();
  CHECK(count_of(registry, "skiff_controller_network_programming_duration_seconds") == 2);

  REQUIRE(store.remove(config::Kind::kPod, "default", "web-1", 0).ok());
  io.restart();
  io.run();
  CHECK(value_of(registry, "skiff_controller_objects", {"Pod"}) == 0);
}
