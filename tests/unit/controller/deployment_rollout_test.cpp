#include "controller/deployment_rollout.h"

#include <catch2/catch.hpp>

#include "controller/pod_template_hash.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;

TEST_CASE("percentages resolve as Kubernetes: surge up, unavailable down") {
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 3, true) == 1);
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 3, false) == 0);
  CHECK(resolve_int_or_percent(config::IntOrString::of("50%"), 10, false) == 5);
  CHECK(resolve_int_or_percent(config::IntOrString::of(2), 10, false) == 2);
  CHECK(resolve_int_or_percent(config::IntOrString::of("x%"), 10, false) == 0);
  config::DeploymentSpec spec;
  spec.replicas = 3;
  spec.strategy.max_surge = config::IntOrString::of(0);
  spec.strategy.max_unavailable = config::IntOrString::of(0);
  CHECK(rollout_limits(spec).max_unavailable == 1);
}

TEST_CASE("the first rollout creates the full count") {
  auto d = make_deployment("web", 3);
  auto step = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0}, {});
  CHECK(step.new_replicas == 3);
  CHECK(step.old_replicas.empty());
}

TEST_CASE("a rolling update never exceeds surge nor drops below availability") {
  auto d = make_deployment("web", 3);  // 25%: surge 1, unavailable 0
  ReplicaSetCounts fresh{"new", 0, 0, 0};
  ReplicaSetCounts old{"old", 3, 3, 3};
  // Simulate: each step applies, then every pod that exists becomes available.
  for (int round = 0; round < 20 && !(fresh.spec_replicas == 3 && old.spec_replicas == 0);
       ++round) {
    auto step = plan_rollout(d.spec, fresh, {old});
    fresh.spec_replicas = step.new_replicas;
    if (step.old_replicas.count("old")) old.spec_replicas = step.old_replicas["old"];
    CHECK(fresh.spec_replicas + old.spec_replicas <= 4);
    // Availability before the new pods come up: old available pods are never cut below 3.
    CHECK(std::min(old.available, old.spec_replicas) + fresh.available >= 3);
    fresh.status_replicas = fresh.available = fresh.spec_replicas;
    old.status_replicas = old.available = old.spec_replicas;
  }
  CHECK(fresh.spec_replicas == 3);
  CHECK(old.spec_replicas == 0);
}

TEST_CASE("old pods that are not available are removed first") {
  auto d = make_deployment("web", 4);  // surge 1, unavailable 1
  auto step = plan_rollout(d.spec, ReplicaSetCounts{"new", 1, 1, 0}, {{"old", 4, 4, 1}});
  // Total already at 5 (= 4 + surge): no scale up. Availability (1) is below the minimum (3),
  // so no available pod may go, but the budget (5 - 3 - 1 unavailable new) lets one of the
  // three unavailable old pods go.
  CHECK(step.new_replicas == 1);
  REQUIRE(step.old_replicas.count("old"));
  CHECK(step.old_replicas.at("old") == 3);
}

TEST_CASE("Recreate scales old sets to zero before the new one") {
  auto d = make_deployment("web", 2);
  d.spec.strategy.type = "Recreate";
  auto first = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0}, {{"old", 2, 2, 2}});
  CHECK(first.new_replicas == 0);
  CHECK(first.old_replicas.at("old") == 0);
  auto waiting = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0}, {{"old", 0, 1, 0}});
  CHECK(waiting.new_replicas == 0);  // an old pod still exists
  auto go = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0}, {{"old", 0, 0, 0}});
  CHECK(go.new_replicas == 2);
}

TEST_CASE("the replica set for a template is named and labeled with its hash") {
  auto d = make_deployment("web", 2);
  d.metadata.uid = "d-uid";
  d.metadata.annotations[kChangeCauseAnnotation] = "image bump";
  auto hash = pod_template_hash(d.spec.template_);
  auto rs = replica_set_for_template(d, hash, 2, 3);
  CHECK(rs.metadata.name == "web-" + hash);
  CHECK(rs.metadata.labels.at("pod-template-hash") == hash);
  CHECK(rs.spec.selector.match_labels.at("pod-template-hash") == hash);
  CHECK(rs.spec.selector.match_labels.at("app") == "web");
  CHECK(rs.spec.template_.metadata.labels.at("pod-template-hash") == hash);
  CHECK(rs.metadata.annotations.at(kRevisionAnnotation) == "3");
  CHECK(rs.metadata.annotations.at(kChangeCauseAnnotation) == "image bump");
  CHECK(revision_of(rs.metadata) == 3);
  REQUIRE(rs.metadata.owner_references.size() == 1);
  CHECK(rs.metadata.owner_references[0].kind == "Deployment");
  CHECK(rs.metadata.owner_references[0].uid == "d-uid");
  CHECK(rs.spec.replicas == 2);
  CHECK(same_template(rs.spec.template_, d.spec.template_));
  CHECK_FALSE(
      same_template(rs.spec.template_, make_deployment("web", 2, "hello:2").spec.template_));
}

TEST_CASE("deployment status sums its replica sets and sets conditions") {
  auto d = make_deployment("web", 2);
  d.metadata.generation = 3;
  config::ReplicaSet fresh;
  fresh.metadata.name = "web-new";
  fresh.spec.replicas = 2;
  fresh.status = {2, 2, 2, 1, 0};
  config::ReplicaSet old;
  old.spec.replicas = 0;
  old.status = {1, 1, 1, 1, 0};
  auto s = deployment_status(d, &fresh, {&fresh, &old}, false, "2026-11-25T21:00:00Z");
  CHECK(s.observed_generation == 3);
  CHECK(s.replicas == 3);
  CHECK(s.updated_replicas == 2);
  CHECK(s.ready_replicas == 3);
  CHECK(s.available_replicas == 2);
  CHECK(s.unavailable_replicas == 0);
  REQUIRE(s.conditions.size() == 2);
  CHECK(s.conditions[0].type == "Available");
  CHECK(s.conditions[0].status == "True");
  CHECK(s.conditions[1].type == "Progressing");
  CHECK(s.conditions[1].reason == "ReplicaSetUpdated");

  // Complete: the time of an unchanged condition is kept.
  d.status = s;
  old.status = {0, 0, 0, 0, 0};
  fresh.status = {2, 2, 2, 2, 0};
  auto done = deployment_status(d, &fresh, {&fresh, &old}, false, "2026-11-25T21:09:00Z");
  CHECK(done.conditions[0].last_transition_time == "2026-11-25T21:00:00Z");
  CHECK(done.conditions[1].reason == "NewReplicaSetAvailable");
  CHECK(done.conditions[1].message == "ReplicaSet \"web-new\" has successfully progressed.");
  CHECK(done.conditions[1].last_update_time == "2026-11-25T21:09:00Z");
  CHECK(done.conditions[1].last_transition_time == "2026-11-25T21:00:00Z");

  fresh.status = {2, 2, 0, 0, 0};
  auto down = deployment_status(d, &fresh, {&fresh}, false, "2026-11-25T21:10:00Z");
  CHECK(down.conditions[0].status == "False");
  CHECK(down.conditions[0].reason == "MinimumReplicasUnavailable");
  CHECK(down.unavailable_replicas == 2);
}
