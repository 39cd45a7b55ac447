// kubectl's rollout verbs, decided without a daemon: the status line, the revision list and
// the rollback source and result.
#include "controller/deployment_history.h"

#include <catch2/catch.hpp>

#include "controller/deployment_rollout.h"
#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;

namespace {

config::Deployment deployment(int replicas) {
  auto d = make_deployment("web", replicas);
  d.metadata.uid = "d-uid";
  d.metadata.generation = 2;
  d.status.observed_generation = 2;
  return d;
}

config::ReplicaSet revision_set(const config::Deployment& d, const std::string& image, int rev,
                                const std::string& cause = "") {
  auto t = d;
  t.spec.template_.spec.containers[0].image = image;
  if (!cause.empty()) t.metadata.annotations[kChangeCauseAnnotation] = cause;
  return replica_set_for_template(t, pod_template_hash(t.spec.template_), 0, rev);
}

}  // namespace

TEST_CASE("rollout status words each stage as kubectl does") {
  auto d = deployment(4);
  d.metadata.generation = 3;  // not yet observed
  CHECK(rollout_status(d).message == "Waiting for deployment spec update to be observed...");
  CHECK_FALSE(rollout_status(d).done);

  d.status.observed_generation = 3;
  d.status.replicas = 5;
  d.status.updated_replicas = 1;
  CHECK(rollout_status(d).message ==
        "Waiting for deployment \"web\" rollout to finish: 1 out of 4 new replicas have been "
        "updated...");
  d.status.updated_replicas = 4;
  d.status.replicas = 6;
  CHECK(rollout_status(d).message ==
        "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending "
        "termination...");
  d.status.replicas = 4;
  d.status.available_replicas = 3;
  CHECK(rollout_status(d).message ==
        "Waiting for deployment \"web\" rollout to finish: 3 of 4 updated replicas are "
        "available...");
  d.status.available_replicas = 4;
  CHECK(rollout_status(d).message == "deployment \"web\" successfully rolled out");
  CHECK(rollout_status(d).done);
  CHECK_FALSE(rollout_status(d).failed);

  d.status.available_replicas = 2;
  d.status.conditions.push_back(
      config::Condition{"Progressing", "False", kProgressDeadlineExceeded, "", "", ""});
  CHECK(rollout_status(d).failed);
  CHECK(rollout_status(d).message == "deployment \"web\" exceeded its progress deadline");
}

TEST_CASE("history lists the Deployment's own revisions with their change-cause") {
  auto d = deployment(2);
  std::vector<config::ReplicaSet> sets{revision_set(d, "hello:3", 3, "third"),
                                       revision_set(d, "hello:1", 1),
                                       revision_set(d, "hello:2", 2, "second")};
  auto stranger = make_deployment("other", 1);
  stranger.metadata.uid = "other-uid";
  sets.push_back(revision_set(stranger, "x:1", 9, "not ours"));
  auto h = revision_history(d, sets);
  REQUIRE(h.size() == 3);
  CHECK(h[0].revision == 1);
  CHECK(h[0].change_cause.empty());
  CHECK(h[1].revision == 2);
  CHECK(h[1].change_cause == "second");
  CHECK(h[2].revision == 3);
  CHECK(h[2].replica_set->spec.template_.spec.containers[0].image == "hello:3");
}

TEST_CASE("undo picks the previous revision or a named one, with kubectl's errors") {
  auto d = deployment(2);
  std::vector<config::ReplicaSet> sets{revision_set(d, "hello:1", 1, "first"),
                                       revision_set(d, "hello:2", 2, "second"),
                                       revision_set(d, "hello:4", 4, "fourth")};
  auto previous = rollback_source(d, sets, 0);
  REQUIRE(previous);
  CHECK(revision_of((*previous)->metadata) == 2);
  auto named = rollback_source(d, sets, 1);
  REQUIRE(named);
  CHECK(revision_of((*named)->metadata) == 1);
  auto missing = rollback_source(d, sets, 3);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "unable to find specified revision 3 in history");
  auto only = rollback_source(d, {sets[0]}, 0);
  REQUIRE_FALSE(only);
  CHECK(only.error().message == "no rollout history found for deployment \"web\"");
}

TEST_CASE("a rollback puts the template back without its hash and takes its change-cause") {
  auto d = deployment(2);
  d.spec.template_.spec.containers[0].image = "hello:4";
  d.metadata.annotations = {{kRevisionAnnotation, "4"},
                            {kChangeCauseAnnotation, "fourth"},
                            {"kubectl.kubernetes.io/last-applied-configuration", "{}"}};
  auto rs = revision_set(d, "hello:1", 1, "first");
  bool unchanged = true;
  auto back = rolled_back(d, rs, &unchanged);
  CHECK_FALSE(unchanged);
  CHECK(back.spec.template_.spec.containers[0].image == "hello:1");
  CHECK(back.spec.template_.metadata.labels.count(kPodTemplateHashLabel) == 0);
  CHECK(back.spec.template_.metadata.labels.at("app") == "web");
  CHECK(back.metadata.annotations.at(kChangeCauseAnnotation) == "first");
  CHECK(back.metadata.annotations.at(kRevisionAnnotation) == "4");  // the controller moves it
  CHECK(back.metadata.annotations.count("kubectl.kubernetes.io/last-applied-configuration") == 1);
  CHECK(back.spec.replicas == 2);  // only the template and annotations change

  auto current = revision_set(d, "hello:4", 4, "fourth");
  rolled_back(d, current, &unchanged);
  CHECK(unchanged);  // "skipped rollback"
}
