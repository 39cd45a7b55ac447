// The reconcilers driven through a real Store on an io_context, without a kubelet: tests play
// the kubelet by binding pods and marking them Ready with update_status.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "controller/deployment_controller.h"
#include "controller/deployment_rollout.h"
#include "controller/endpoints_controller.h"
#include "controller/garbage_collector.h"
#include "controller/pod_state.h"
#include "controller/replica_set_controller.h"
#include "controller/service_controller.h"
#include "controller/service_table_sync.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;
using skiff::controller::testing::make_service;

namespace {

struct Cluster {
  boost::asio::io_context io;
  Store store{[] { return std::string("2026-11-25T21:00:00Z"); }};
  ServiceTableSource table;
  DeploymentController deployments{io, store, [] { return std::string("2026-11-25T21:00:00Z"); }};
  ReplicaSetController replica_sets{io, store};
  ServiceController services{io, store, ServiceControllerOptions{}};
  EndpointsController endpoints{io, store};
  GarbageCollector gc{io, store};
  ServiceTableSync sync{io, store, table, std::chrono::milliseconds(0)};

  Cluster() {
    deployments.start();
    replica_sets.start();
    services.start();
    endpoints.start();
    gc.start();
    sync.start();
    settle();
  }

  // Runs ready handlers until none is left; bounded so a reconcile loop fails the test.
  void settle() {
    io.restart();
    int n = 0;
    while (n < 20000 && io.poll_one()) ++n;
    REQUIRE(n < 20000);
  }

  std::vector<config::Pod> pods(bool include_terminating = false) {
    std::vector<config::Pod> out;
    for (const auto& p : store.list(Kind::kPod)) {
      const auto* pod = as<config::Pod>(p);
      if (include_terminating || !pod_terminating(*pod)) out.push_back(*pod);
    }
    return out;
  }

  std::vector<config::ReplicaSet> replica_sets_list() {
    std::vector<config::ReplicaSet> out;
    for (const auto& p : store.list(Kind::kReplicaSet)) out.push_back(*as<config::ReplicaSet>(p));
    return out;
  }

  // What the kubelet would do: bind, give an IP, mark Ready.
  void run_pods(bool ready = true) {
    int ip = 2;
    for (auto pod : pods()) {
      if (pod.spec.node_name.empty()) {
        pod.spec.node_name = "skiff";
        pod.metadata.resource_version = 0;
        REQUIRE(store.update(config::Object(pod)).ok());
      }
      pod.status.phase = "Running";
      if (pod.status.pod_ip.empty()) pod.status.pod_ip = "127.244.1." + std::to_string(ip);
      ++ip;
      pod.status.conditions = {
          config::Condition{"Ready", ready ? "True" : "False", "", "", "2026-11-25T21:00:00Z", ""}};
      REQUIRE(store.update_status(config::Object(pod)).ok());
    }
    settle();
  }

  const config::Deployment* deployment(const std::string& name) {
    held_ = store.get(Kind::kDeployment, "default", name);
    return as<config::Deployment>(held_);
  }

  // Finishes terminating pods, as the kubelet does once their containers stopped.
  void reap() {
    for (const auto& p : pods(true)) {
      if (pod_terminating(p)) REQUIRE(store.remove(Kind::kPod, "default", p.metadata.name, 0).ok());
    }
    settle();
  }

  ObjectPtr held_;
};

}  // namespace

TEST_CASE("a Deployment becomes a hashed ReplicaSet and its pods") {
  Cluster c;
  REQUIRE(c.store.create(config::Object(make_deployment("web", 3))).ok());
  c.settle();

  auto sets = c.replica_sets_list();
  REQUIRE(sets.size() == 1);
  const auto& rs = sets[0];
  auto hash = rs.metadata.labels.at("pod-template-hash");
  CHECK(rs.metadata.name == "web-" + hash);
  CHECK(rs.spec.replicas == 3);
  CHECK(rs.metadata.annotations.at(kRevisionAnnotation) == "1");
  CHECK(rs.metadata.owner_references.at(0).name == "web");

  auto pods = c.pods();
  REQUIRE(pods.size() == 3);
  for (const auto& p : pods) {
    CHECK(p.metadata.name.rfind(rs.metadata.name + "-", 0) == 0);
    CHECK(p.metadata.name.size() == rs.metadata.name.size() + 6);
    CHECK(p.metadata.labels.at("pod-template-hash") == hash);
    CHECK(p.metadata.owner_references.at(0).uid == rs.metadata.uid);
  }
  CHECK(c.deployment("web")->metadata.annotations.at(kRevisionAnnotation) == "1");
  CHECK(c.deployment("web")->status.available_replicas == 0);

  c.run_pods();
  const auto* d = c.deployment("web");
  CHECK(d->status.replicas == 3);
  CHECK(d->status.ready_replicas == 3);
  CHECK(d->status.available_replicas == 3);
  CHECK(d->status.updated_replicas == 3);
  CHECK(d->status.unavailable_replicas == 0);
  CHECK(d->status.observed_generation == d->metadata.generation);
  REQUIRE(d->status.conditions.size() == 2);
  CHECK(d->status.conditions[0].status == "True");
  CHECK(d->status.conditions[1].reason == "NewReplicaSetAvailable");
  auto rs_now = c.replica_sets_list()[0];
  CHECK(rs_now.status.ready_replicas == 3);
  CHECK(rs_now.status.available_replicas == 3);
  CHECK(rs_now.status.fully_labeled_replicas == 3);
}

TEST_CASE("scaling a Deployment scales its ReplicaSet, deleted pods are replaced") {
  Cluster c;
  REQUIRE(c.store.create(config::Object(make_deployment("web", 2))).ok());
  c.settle();
  c.run_pods();

  auto d = *c.deployment("web");
  d.spec.replicas = 4;
  d.metadata.resource_version = 0;
  REQUIRE(c.store.update(config::Object(d)).ok());
  c.settle();
  CHECK(c.pods().size() == 4);
  CHECK(c.replica_sets_list().size() == 1);
  c.run_pods();

  // A user deletes a running (bound) pod: it terminates, and a replacement appears.
  auto victim = c.pods()[0].metadata.name;
  REQUIRE(c.store.remove(Kind::kPod, "default", victim).ok());
  c.settle();
  CHECK(c.pods().size() == 4);
  CHECK(c.pods(true).size() == 5);
  for (const auto& p : c.pods()) CHECK(p.metadata.name != victim);

  d = *c.deployment("web");
  d.spec.replicas = 1;
  d.metadata.resource_version = 0;
  REQUIRE(c.store.update(config::Object(d)).ok());
  c.settle();
  CHECK(c.pods().size() == 1);
  CHECK(c.pods()[0].status.pod_ip.size() > 0);  // the not-yet-running replacement went first
}

TEST_CASE("a template change rolls out a new ReplicaSet within surge and availability") {
  Cluster c;
  REQUIRE(c.store.create(config::Object(make_deployment("web", 3, "hello:1"))).ok());
  c.settle();
  c.run_pods();
  auto old_name = c.replica_sets_list()[0].metadata.name;

  auto d = *c.deployment("web");
  d.spec.template_.spec.containers[0].image = "hello:2";
  d.metadata.resource_version = 0;
  REQUIRE(c.store.update(config::Object(d)).ok());
  c.settle();
  REQUIRE(c.replica_sets_list().size() == 2);

  for (int round = 0; round < 20; ++round) {
    int ready = 0;
    for (const auto& p : c.pods()) ready += pod_ready(p) ? 1 : 0;
    CHECK(ready >= 3 - 0);        // maxUnavailable 25% of 3 = 0
    CHECK(c.pods().size() <= 4);  // maxSurge 25% of 3 = 1
    c.run_pods();
    c.reap();
    const auto* now = c.deployment("web");
    if (now->status.updated_replicas == 3 && now->status.replicas == 3 &&
        now->status.available_replicas == 3) {
      break;
    }
  }
  const auto* done = c.deployment("web");
  CHECK(done->status.updated_replicas == 3);
  CHECK(done->status.replicas == 3);
  CHECK(done->metadata.annotations.at(kRevisionAnnotation) == "2");
  for (const auto& rs : c.replica_sets_list()) {
    if (rs.metadata.name == old_name) {
      CHECK(rs.spec.replicas == 0);
    } else {
      CHECK(rs.spec.replicas == 3);
      CHECK(rs.metadata.annotations.at(kRevisionAnnotation) == "2");
    }
  }
  for (const auto& p : c.pods()) {
    CHECK(p.spec.containers[0].image == "hello:2");
  }

  // Rolling back to the first template reuses the old ReplicaSet as revision 3.
  d = *c.deployment("web");
  d.spec.template_.spec.containers[0].image = "hello:1";
  d.metadata.resource_version = 0;
  REQUIRE(c.store.update(config::Object(d)).ok());
  c.settle();
  CHECK(c.replica_sets_list().size() == 2);
  const auto* old_rs = as<config::ReplicaSet>(c.store.get(Kind::kReplicaSet, "default", old_name));
  REQUIRE(old_rs);
  CHECK(old_rs->metadata.annotations.at(kRevisionAnnotation) == "3");
}

TEST_CASE("deleting a Deployment cascades to ReplicaSets and (gracefully) pods") {
  Cluster c;
  REQUIRE(c.store.create(config::Object(make_deployment("web", 2))).ok());
  c.settle();
  c.run_pods();  // binds pods, so they are deleted gracefully
  REQUIRE(c.store.remove(Kind::kDeployment, "default", "web").ok());
  c.settle();
  CHECK(c.store.count(Kind::kReplicaSet) == 0);
  auto pods = c.pods(true);
  REQUIRE(pods.size() == 2);
  for (const auto& p : pods) CHECK(pod_terminating(p));
  c.reap();
  CHECK(c.store.count(Kind::kPod) == 0);
  CHECK(c.pods().empty());  // nothing recreated them
}

TEST_CASE("orphans left from before start are collected") {
  boost::asio::io_context io;
  Store store;
  auto pod = testing::make_pod("stray", {});
  pod.spec.node_name.clear();
  pod.metadata.owner_references = {{"apps/v1", "ReplicaSet", "gone", "no-such-uid", true, true}};
  REQUIRE(store.create(config::Object(pod)).ok());
  REQUIRE(store.create(config::Object(testing::make_pod("free", {}))).ok());
  GarbageCollector gc(io, store);
  gc.start();
  io.poll();
  CHECK(store.get(Kind::kPod, "default", "stray") == nullptr);
  CHECK(store.get(Kind::kPod, "default", "free") != nullptr);
}

TEST_CASE("Services get cluster IPs, node ports and LoadBalancer status, delete releases") {
  Cluster c;
  auto lb = make_service("web", {{"app", "web"}});
  lb.spec.type = "LoadBalancer";
  REQUIRE(c.store.create(config::Object(lb)).ok());
  auto fixed = make_service("fixed", {{"app", "x"}});
  fixed.spec.cluster_ip = "127.100.0.10";
  REQUIRE(c.store.create(config::Object(fixed)).ok());
  c.settle();

  const auto* web = as<config::Service>(c.store.get(Kind::kService, "default", "web"));
  REQUIRE(web);
  CHECK(web->spec.cluster_ip.rfind("127.", 0) == 0);
  CHECK(web->spec.cluster_ips == std::vector<std::string>{web->spec.cluster_ip});
  CHECK(web->spec.ports[0].node_port >= 30000);
  CHECK(web->spec.ports[0].node_port <= 32767);
  REQUIRE(web->status.load_balancer_ingress.size() == 1);
  CHECK(web->status.load_balancer_ingress[0].ip == "127.0.0.1");
  auto web_ip = web->spec.cluster_ip;
  CHECK(as<config::Service>(c.store.get(Kind::kService, "default", "fixed"))->spec.cluster_ip ==
        "127.100.0.10");

  // The same address requested by another Service is not handed out twice.
  auto dup = make_service("dup", {{"app", "y"}});
  dup.spec.cluster_ip = "127.100.0.10";
  REQUIRE(c.store.create(config::Object(dup)).ok());
  c.settle();
  auto dup_ip = as<config::Service>(c.store.get(Kind::kService, "default", "dup"))->spec.cluster_ip;
  CHECK(dup_ip != "127.100.0.10");
  CHECK(dup_ip != web_ip);

  // After deletion the address is free for a new Service that asks for it.
  REQUIRE(c.store.remove(Kind::kService, "default", "fixed").ok());
  c.settle();
  auto again = make_service("again", {{"app", "z"}});
  again.spec.cluster_ip = "127.100.0.10";
  REQUIRE(c.store.create(config::Object(again)).ok());
  c.settle();
  CHECK(as<config::Service>(c.store.get(Kind::kService, "default", "again"))->spec.cluster_ip ==
        "127.100.0.10");
}

TEST_CASE("Endpoints and the ServiceTable follow pod readiness and termination") {
  Cluster c;
  REQUIRE(c.store.create(config::Object(make_deployment("web", 2))).ok());
  REQUIRE(c.store.create(config::Object(make_service("web", {{"app", "web"}}))).ok());
  c.settle();

  const auto* ep = as<config::Endpoints>(c.store.get(Kind::kEndpoints, "default", "web"));
  REQUIRE(ep);
  CHECK(ep->subsets.empty());  // no pod has an IP yet
  auto t0 = c.table.current();
  REQUIRE(t0->find("default", "web"));
  CHECK(t0->find("default", "web")->ports.at(0).endpoints.empty());
  CHECK_FALSE(t0->find("default", "web")->cluster_ip.empty());

  c.run_pods(false);
  ep = as<config::Endpoints>(c.store.get(Kind::kEndpoints, "default", "web"));
  REQUIRE(ep->subsets.size() == 1);
  CHECK(ep->subsets[0].not_ready_addresses.size() == 2);
  CHECK(c.table.current()->find("default", "web")->ports[0].endpoints.empty());

  c.run_pods(true);
  auto t1 = c.table.current();
  const auto* view = t1->find("default", "web");
  REQUIRE(view->ports[0].endpoints.size() == 2);
  CHECK(view->ports[0].endpoints[0].port == 5000);
  CHECK(view->ready_addresses.size() == 2);
  CHECK(t1->version > t0->version);

  // A change the table does not hold publishes nothing.
  auto pod = c.pods()[0];
  pod.metadata.annotations["note"] = "x";
  pod.metadata.resource_version = 0;
  REQUIRE(c.store.update(config::Object(pod)).ok());
  c.settle();
  CHECK(c.table.current()->version == t1->version);

  // A terminating pod leaves the table before it is gone.
  REQUIRE(c.store.remove(Kind::kPod, "default", pod.metadata.name).ok());
  c.settle();
  const auto* after = c.table.current()->find("default", "web");
  for (const auto& e : after->ports[0].endpoints) CHECK(e.pod_name != pod.metadata.name);

  // Deleting the Service removes its Endpoints and its view.
  REQUIRE(c.store.remove(Kind::kService, "default", "web").ok());
  c.settle();
  CHECK(c.store.get(Kind::kEndpoints, "default", "web") == nullptr);
  CHECK(c.table.current()->find("default", "web") == nullptr);
}

TEST_CASE("Endpoints of a selector-less Service are left to the user") {
  Cluster c;
  auto svc = make_service("ext", {});
  REQUIRE(c.store.create(config::Object(svc)).ok());
  config::Endpoints ep;
  ep.metadata.name = "ext";
  config::EndpointSubset s;
  s.addresses = {config::EndpointAddress{"127.0.0.5", "", "", std::nullopt}};
  s.ports = {{"", 5000, "TCP"}};
  ep.subsets = {s};
  REQUIRE(c.store.create(config::Object(ep)).ok());
  c.settle();
  const auto* kept = as<config::Endpoints>(c.store.get(Kind::kEndpoints, "default", "ext"));
  REQUIRE(kept);
  CHECK(kept->subsets.size() == 1);
  const auto* view = c.table.current()->find("default", "ext");
  REQUIRE(view);
  REQUIRE(view->ports[0].endpoints.size() == 1);
  CHECK(view->ports[0].endpoints[0].ip == "127.0.0.5");
}
