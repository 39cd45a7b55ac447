#include "controller/deployment_rollout.h"

#include <catch2/catch.hpp>

#include "controller/pod_template_hash.h"
#include "controller/rfc3339.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(const char* rfc3339) {
  return *skiff::controller::parse_rfc3339(rfc3339);
}

config::ReplicaSet replica_set(const std::string& name, int spec, config::ReplicaSetStatus status,
                               int revision = 1) {
  config::ReplicaSet rs;
  rs.metadata.name = name;
  rs.metadata.generation = 1;
  rs.metadata.annotations[kRevisionAnnotation] = std::to_string(revision);
  rs.spec.replicas = spec;
  rs.status = status;
  rs.status.observed_generation = 1;
  return rs;
}

const config::Condition* condition(const config::DeploymentStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace

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

TEST_CASE("percentages are exact: 25 percent of 4 is 1 both ways, of 10 rounds per side") {
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 4, true) == 1);
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 4, false) == 1);
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 10, true) == 3);
  CHECK(resolve_int_or_percent(config::IntOrString::of("25%"), 10, false) == 2);
  CHECK(resolve_int_or_percent(config::IntOrString::of("0%"), 10, true) == 0);
  CHECK(resolve_int_or_percent(config::IntOrString::of("100%"), 7, false) == 7);
  auto d = make_deployment("web", 4);
  CHECK(rollout_limits(d.spec).max_surge == 1);
  CHECK(rollout_limits(d.spec).max_unavailable == 1);
  CHECK(max_unavailable(d.spec) == 1);
  d.spec.strategy.type = "Recreate";
  CHECK(max_unavailable(d.spec) == 0);  // the Available condition wants every replica then
  d.spec.strategy.type = "RollingUpdate";
  d.spec.strategy.max_unavailable = config::IntOrString::of(9);
  CHECK(max_unavailable(d.spec) == 4);  // never more than replicas
}

TEST_CASE("a rolling update of 4 keeps at least 3 available and at most 5 pods at every step") {
  auto d = make_deployment("web", 4);  // 25%: surge 1, unavailable 1
  ReplicaSetCounts fresh{"new", 0, 0, 0, 0};
  ReplicaSetCounts old{"old", 4, 4, 4, 4};
  int rounds = 0;
  for (; rounds < 30 && !(fresh.spec_replicas == 4 && old.spec_replicas == 0); ++rounds) {
    auto step = plan_rollout(d.spec, fresh, {old});
    fresh.spec_replicas = step.new_replicas;
    if (step.old_replicas.count("old")) old.spec_replicas = step.old_replicas.at("old");
    INFO("round " << rounds << ": new " << fresh.spec_replicas << ", old " << old.spec_replicas);
    CHECK(fresh.spec_replicas + old.spec_replicas <= 5);
    // Old pods go at once (their availability is lost now); new ones are not yet available.
    CHECK(std::min(old.available, old.spec_replicas) + fresh.available >= 3);
    old.status_replicas = old.available = std::min(old.available, old.spec_replicas);
    // The new pods become available only on the next round, as a kubelet takes time.
    fresh.available = fresh.status_replicas;
    fresh.status_replicas = fresh.spec_replicas;
  }
  CHECK(fresh.spec_replicas == 4);
  CHECK(old.spec_replicas == 0);
  CHECK(rounds <= 12);
}

TEST_CASE("new pods that never become available stall the rollout within maxUnavailable") {
  auto d = make_deployment("web", 4);
  ReplicaSetCounts fresh{"new", 0, 0, 0, 0};
  ReplicaSetCounts old{"old", 4, 4, 4, 4};
  for (int round = 0; round < 10; ++round) {
    auto step = plan_rollout(d.spec, fresh, {old});
    fresh.spec_replicas = fresh.status_replicas = step.new_replicas;
    if (step.old_replicas.count("old")) old.spec_replicas = step.old_replicas.at("old");
    old.status_replicas = old.available = std::min(old.available, old.spec_replicas);
  }
  CHECK(old.available == 3);  // one pod of unavailability used, no more
  CHECK(fresh.spec_replicas == 2);
}

TEST_CASE("Recreate waits for terminating old pods, not only for the old set's count") {
  auto d = make_deployment("web", 2);
  d.spec.strategy.type = "Recreate";
  // Scaled to 0, status already 0, but two pods still shutting down.
  auto step = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0, 0}, {{"old", 0, 0, 0, 2}});
  CHECK(step.new_replicas == 0);
  step = plan_rollout(d.spec, ReplicaSetCounts{"new", 0, 0, 0, 0}, {{"old", 0, 0, 0, 0}});
  CHECK(step.new_replicas == 2);
}

TEST_CASE("the new replica set carries the change-cause but not the Deployment's own marks") {
  auto d = make_deployment("web", 1);
  d.metadata.annotations = {{kChangeCauseAnnotation, "bump to v2"},
                            {kRevisionAnnotation, "7"},
                            {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                            {"team", "core"}};
  auto a = new_replica_set_annotations(d, {{"old", "kept"}}, 3);
  CHECK(a.at(kChangeCauseAnnotation) == "bump to v2");
  CHECK(a.at(kRevisionAnnotation) == "3");
  CHECK(a.at("team") == "core");
  CHECK(a.at("old") == "kept");
  CHECK(a.count("kubectl.kubernetes.io/last-applied-configuration") == 0);
}

TEST_CASE("deployment status sums its replica sets and sets conditions") {
  auto d = make_deployment("web", 2);
  d.metadata.generation = 3;
  auto fresh = replica_set("web-new", 2, {2, 2, 2, 1, 0}, 2);
  auto old = replica_set("web-old", 0, {1, 1, 1, 1, 0}, 1);
  auto s = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:00:00Z")).status;
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
  CHECK(s.conditions[1].message == "ReplicaSet \"web-new\" is progressing.");

  // Complete: the time of an unchanged condition is kept.
  d.status = s;
  old.status = {0, 0, 0, 0, 1};
  fresh.status = {2, 2, 2, 2, 1};
  auto done = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:09:00Z"));
  CHECK_FALSE(done.recheck_after);
  CHECK(done.status.conditions[0].last_transition_time == "2026-11-25T21:00:00Z");
  CHECK(done.status.conditions[1].reason == "NewReplicaSetAvailable");
  CHECK(done.status.conditions[1].message == "ReplicaSet \"web-new\" has successfully progressed.");
  CHECK(done.status.conditions[1].last_update_time == "2026-11-25T21:09:00Z");
  CHECK(done.status.conditions[1].last_transition_time == "2026-11-25T21:00:00Z");

  d.status = done.status;
  fresh.status = {2, 2, 0, 0, 1};
  auto down = deployment_status(d, &fresh, {&fresh}, false, at("2026-11-25T21:10:00Z")).status;
  CHECK(down.conditions[0].status == "False");
  CHECK(down.conditions[0].reason == "MinimumReplicasUnavailable");
  CHECK(down.unavailable_replicas == 2);
  // A finished rollout whose pods then fail is not "progressing" again.
  CHECK(condition(down, "Progressing")->reason == "NewReplicaSetAvailable");
}

TEST_CASE("no progress for progressDeadlineSeconds is ProgressDeadlineExceeded") {
  auto d = make_deployment("web", 2);
  d.spec.progress_deadline_seconds = 60;
  auto old = replica_set("web-old", 2, {2, 2, 2, 2, 0}, 1);
  d.status = deployment_status(d, &old, {&old}, false, at("2026-11-25T20:00:00Z")).status;
  REQUIRE(condition(d.status, "Progressing")->reason == "NewReplicaSetAvailable");

  // A template change: the new set is created (no pod yet).
  auto fresh = replica_set("web-new", 1, {0, 0, 0, 0, 0}, 2);
  auto created = deployment_status(d, &fresh, {&fresh, &old}, true, at("2026-11-25T21:00:00Z"));
  REQUIRE(condition(created.status, "Progressing"));
  CHECK(condition(created.status, "Progressing")->reason == "NewReplicaSetCreated");
  CHECK(condition(created.status, "Progressing")->message == "Created new replica set \"web-new\"");
  REQUIRE(created.recheck_after);
  CHECK(*created.recheck_after == 61s);  // the deadline, and a second against clock skew

  // Its pod exists at 21:00:10 (progress), but never becomes ready.
  d.status = created.status;
  fresh.status = {1, 1, 0, 0, 0};
  auto pod = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:00:10Z"));
  CHECK(condition(pod.status, "Progressing")->reason == "ReplicaSetUpdated");
  CHECK(condition(pod.status, "Progressing")->last_update_time == "2026-11-25T21:00:10Z");
  d.status = pod.status;

  auto waiting = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:00:55Z"));
  CHECK(condition(waiting.status, "Progressing")->reason == "ReplicaSetUpdated");
  REQUIRE(waiting.recheck_after);
  CHECK(*waiting.recheck_after == 16s);

  auto late = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:01:11Z"));
  const auto* c = condition(late.status, "Progressing");
  CHECK(c->status == "False");
  CHECK(c->reason == "ProgressDeadlineExceeded");
  CHECK(c->message == "ReplicaSet \"web-new\" has timed out progressing.");
  CHECK_FALSE(late.recheck_after);

  // Progress afterwards (the pod became ready) makes it progressing again.
  d.status = late.status;
  fresh.status = {1, 1, 1, 1, 0};
  auto again = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:02:00Z"));
  c = condition(again.status, "Progressing");
  CHECK(c->status == "True");
  CHECK(c->reason == "ReplicaSetUpdated");
  CHECK(c->last_update_time == "2026-11-25T21:02:00Z");
}

TEST_CASE("progress moves lastUpdateTime, so the deadline counts from the last progress") {
  auto d = make_deployment("web", 4);
  d.spec.progress_deadline_seconds = 60;
  auto fresh = replica_set("web-new", 2, {2, 2, 1, 1, 0}, 2);
  auto old = replica_set("web-old", 3, {3, 3, 3, 3, 0}, 1);
  d.status = deployment_status(d, &fresh, {&fresh, &old}, true, at("2026-11-25T21:00:00Z")).status;
  fresh.status = {2, 2, 2, 2, 0};  // one more available at 21:00:50
  auto p = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:00:50Z"));
  CHECK(condition(p.status, "Progressing")->reason == "ReplicaSetUpdated");
  CHECK(condition(p.status, "Progressing")->last_update_time == "2026-11-25T21:00:50Z");
  CHECK(condition(p.status, "Progressing")->last_transition_time == "2026-11-25T21:00:00Z");
  d.status = p.status;
  // 70 s after the creation, but only 20 s after the last progress: not timed out.
  auto later = deployment_status(d, &fresh, {&fresh, &old}, false, at("2026-11-25T21:01:10Z"));
  CHECK(condition(later.status, "Progressing")->status == "True");
  REQUIRE(later.recheck_after);
  CHECK(*later.recheck_after == 41s);
}

TEST_CASE("a paused Deployment reports DeploymentPaused and never times out") {
  auto d = make_deployment("web", 2);
  d.spec.paused = true;
  d.spec.progress_deadline_seconds = 10;
  auto fresh = replica_set("web-new", 1, {1, 1, 0, 0, 0}, 2);
  auto s = deployment_status(d, &fresh, {&fresh}, false, at("2026-11-25T21:00:00Z"));
  CHECK(condition(s.status, "Progressing")->status == "Unknown");
  CHECK(condition(s.status, "Progressing")->reason == "DeploymentPaused");
  CHECK_FALSE(s.recheck_after);
  d.status = s.status;
  d.spec.paused = false;
  auto resumed = deployment_status(d, &fresh, {&fresh}, false, at("2026-11-25T22:00:00Z"));
  CHECK(condition(resumed.status, "Progressing")->reason == "DeploymentResumed");
  REQUIRE(resumed.recheck_after);  // the deadline counts from the resume, not from before
  CHECK(*resumed.recheck_after == 11s);
}

TEST_CASE("revisionHistoryLimit prunes the oldest scaled-down sets only") {
  auto r1 = replica_set("web-1", 0, {0, 0, 0, 0, 1}, 1);
  auto r2 = replica_set("web-2", 0, {0, 0, 0, 0, 1}, 2);
  auto r3 = replica_set("web-3", 0, {1, 1, 1, 1, 1}, 3);  // still has a pod
  auto r4 = replica_set("web-4", 0, {0, 0, 0, 0, 1}, 4);
  CHECK(replica_sets_to_prune({&r4, &r2, &r1, &r3}, 10).empty());
  CHECK(replica_sets_to_prune({&r4, &r2, &r1, &r3}, 2) ==
        std::vector<std::string>{"web-1", "web-2"});
  CHECK(replica_sets_to_prune({&r4, &r2, &r1, &r3}, 0) ==
        std::vector<std::string>{"web-1", "web-2", "web-4"});
  r2.metadata.generation = 2;  // scaled, but its controller has not seen it yet
  CHECK(replica_sets_to_prune({&r4, &r2, &r1, &r3}, 1) == std::vector<std::string>{"web-1"});
}
