#include "controller/replica_set_plan.h"

#include <catch2/catch.hpp>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_pod;
using skiff::controller::testing::ptrs;

TEST_CASE("scale up creates the missing pods, nothing to delete") {
  std::vector<config::Pod> pods{make_pod("a", {}, "127.244.0.2", true)};
  auto plan = plan_replicas(3, ptrs(pods));
  CHECK(plan.create == 2);
  CHECK(plan.remove.empty());
  CHECK(plan_replicas(1, ptrs(pods)).create == 0);
  CHECK(plan_replicas(-1, {}).create == 0);
}

TEST_CASE("scale down deletes unscheduled, then not ready, then newest") {
  auto ready_old = make_pod("ready-old", {}, "127.244.0.2", true);
  auto ready_new = make_pod("ready-new", {}, "127.244.0.3", true);
  ready_new.metadata.creation_timestamp = "2026-11-25T21:05:00Z";
  ready_new.status.conditions[0].last_transition_time = "2026-11-25T21:05:00Z";
  auto not_ready = make_pod("not-ready", {}, "127.244.0.4", false);
  auto unscheduled = make_pod("unscheduled", {});
  unscheduled.spec.node_name.clear();
  std::vector<config::Pod> pods{ready_old, ready_new, not_ready, unscheduled};

  auto plan = plan_replicas(1, ptrs(pods));
  CHECK(plan.create == 0);
  CHECK(plan.remove == std::vector<std::string>{"unscheduled", "not-ready", "ready-new"});
  CHECK(plan_replicas(3, ptrs(pods)).remove == std::vector<std::string>{"unscheduled"});
}

TEST_CASE("more restarts are deleted first among equally ready pods") {
  auto calm = make_pod("calm", {}, "127.244.0.2", true);
  auto crashy = make_pod("crashy", {}, "127.244.0.3", true);
  config::ContainerStatus cs;
  cs.restart_count = 4;
  crashy.status.container_statuses.push_back(cs);
  std::vector<config::Pod> pods{calm, crashy};
  CHECK(plan_replicas(1, ptrs(pods)).remove == std::vector<std::string>{"crashy"});
}

TEST_CASE("replica set status counts ready, available and fully labeled pods") {
  config::ReplicaSet rs;
  rs.metadata.generation = 4;
  rs.spec.template_.metadata.labels = {{"app", "web"}, {"pod-template-hash", "abc"}};
  rs.spec.min_ready_seconds = 10;
  auto a = make_pod("a", {{"app", "web"}, {"pod-template-hash", "abc"}}, "127.244.0.2", true);
  auto b = make_pod("b", {{"app", "web"}}, "127.244.0.3", true);
  b.status.conditions[0].last_transition_time = "2026-11-25T21:00:55Z";
  auto c = make_pod("c", {{"app", "web"}, {"pod-template-hash", "abc"}}, "127.244.0.4", false);
  std::vector<config::Pod> pods{a, b, c};
  auto now = std::chrono::system_clock::from_time_t(0);
  // 2026-11-25T21:01:00Z
  now += std::chrono::seconds(1795640460);
  auto s = replica_set_status(rs, ptrs(pods), now);
  CHECK(s.replicas == 3);
  CHECK(s.fully_labeled_replicas == 2);
  CHECK(s.ready_replicas == 2);
  CHECK(s.available_replicas == 1);  // b has been ready for 5 s only
  CHECK(s.observed_generation == 4);
}

TEST_CASE("a replica set's pod carries the template and a controller reference") {
  config::ReplicaSet rs;
  rs.metadata.name = "web-abc";
  rs.metadata.namespace_ = "prod";
  rs.metadata.uid = "rs-uid";
  rs.spec.template_.metadata.labels = {{"app", "web"}};
  rs.spec.template_.spec.containers.push_back(config::Container{});
  auto pod = pod_for_replica_set(rs);
  CHECK(pod.metadata.generate_name == "web-abc-");
  CHECK(pod.metadata.name.empty());
  CHECK(pod.metadata.namespace_ == "prod");
  CHECK(pod.metadata.labels.at("app") == "web");
  REQUIRE(pod.metadata.owner_references.size() == 1);
  const auto& ref = pod.metadata.owner_references[0];
  CHECK(ref.kind == "ReplicaSet");
  CHECK(ref.api_version == "apps/v1");
  CHECK(ref.uid == "rs-uid");
  CHECK(ref.controller);
  CHECK(ref.block_owner_deletion);
  CHECK(pod.spec.containers.size() == 1);
}
