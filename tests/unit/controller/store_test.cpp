#include "controller/store.h"

#include <catch2/catch.hpp>
#include <regex>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;
using skiff::controller::testing::make_pod;

namespace {

Store fixed_clock_store(std::string* now) {
  return Store([now] { return *now; });
}

}  // namespace

TEST_CASE("create sets uid, resourceVersion, generation and creationTimestamp") {
  std::string now = "2026-11-25T21:00:00Z";
  Store store = fixed_clock_store(&now);
  auto a = store.create(config::Object(make_deployment("web", 2)));
  REQUIRE(a.ok());
  const auto& m = config::meta(**a);
  CHECK(std::regex_match(m.uid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                           "[0-9a-f]{12}")));
  CHECK(m.resource_version == 1);
  CHECK(m.generation == 1);
  CHECK(m.creation_timestamp == "2026-11-25T21:00:00Z");
  CHECK(m.namespace_ == "default");

  // One counter across kinds.
  auto b = store.create(config::Object(make_pod("p", {})));
  REQUIRE(b.ok());
  CHECK(config::meta(**b).resource_version == 2);
  CHECK(config::meta(**b).uid != m.uid);
  CHECK(store.resource_version() == 2);
}

TEST_CASE("create refuses a taken name with the Kubernetes message") {
  Store store;
  REQUIRE(store.create(config::Object(make_deployment("web", 1))).ok());
  auto again = store.create(config::Object(make_deployment("web", 1)));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == 409);
  CHECK(again.error().reason == "AlreadyExists");
  CHECK(again.error().message == "deployments.apps \"web\" already exists");
  // Same name in another namespace is fine.
  auto other = make_deployment("web", 1);
  other.metadata.namespace_ = "prod";
  CHECK(store.create(config::Object(other)).ok());
}

TEST_CASE("generateName appends five safe characters") {
  Store store;
  config::Pod p;
  p.metadata.generate_name = "web-abc-";
  auto r = store.create(config::Object(p));
  REQUIRE(r.ok());
  CHECK(std::regex_match(config::meta(**r).name,
                         std::regex("web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}")));
  config::Pod nameless;
  auto bad = store.create(config::Object(nameless));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == 422);
}

TEST_CASE("update: generation follows the spec, no-op updates change nothing") {
  Store store;
  std::vector<WatchEvent::Type> events;
  store.watch(Kind::kDeployment, [&](const WatchEvent& e) { events.push_back(e.type); });
  auto created = store.create(config::Object(make_deployment("web", 2)));
  REQUIRE(created.ok());

  auto d = make_deployment("web", 2);
  auto same = store.update(config::Object(d));
  REQUIRE(same.ok());
  CHECK(config::meta(**same).resource_version == 1);
  CHECK(events.size() == 1);

  d.metadata.labels["tier"] = "web";
  auto labeled = store.update(config::Object(d));
  REQUIRE(labeled.ok());
  CHECK(config::meta(**labeled).resource_version == 2);
  CHECK(config::meta(**labeled).generation == 1);  // metadata only

  d.spec.replicas = 5;
  auto scaled = store.update(config::Object(d));
  REQUIRE(scaled.ok());
  CHECK(config::meta(**scaled).generation == 2);
  CHECK(config::meta(**scaled).uid == config::meta(**created).uid);
  CHECK(config::meta(**scaled).creation_timestamp == config::meta(**created).creation_timestamp);
  CHECK(events == std::vector{WatchEvent::Type::kAdded, WatchEvent::Type::kModified,
                              WatchEvent::Type::kModified});
}

TEST_CASE("update keeps status, update_status keeps spec") {
  Store store;
  auto d = make_deployment("web", 2);
  REQUIRE(store.create(config::Object(d)).ok());
  auto with_status = d;
  with_status.status.ready_replicas = 2;
  auto s = store.update_status(config::Object(with_status));
  REQUIRE(s.ok());
  CHECK(as<config::Deployment>(*s)->status.ready_replicas == 2);
  CHECK(config::meta(**s).generation == 1);

  d.spec.replicas = 3;  // the caller's copy has an empty status
  auto u = store.update(config::Object(d));
  REQUIRE(u.ok());
  CHECK(as<config::Deployment>(*u)->status.ready_replicas == 2);
  CHECK(as<config::Deployment>(*u)->spec.replicas == 3);

  // Equal status: no new resourceVersion.
  auto rv = store.resource_version();
  auto again = as<config::Deployment>(*u)->status;
  auto copy = *as<config::Deployment>(*u);
  copy.status = again;
  REQUIRE(store.update_status(config::Object(copy)).ok());
  CHECK(store.resource_version() == rv);
}

TEST_CASE("update with a stale resourceVersion is a Conflict") {
  Store store;
  auto created = store.create(config::Object(make_deployment("web", 1)));
  REQUIRE(created.ok());
  auto d = *as<config::Deployment>(*created);
  d.spec.replicas = 2;
  REQUIRE(store.update(config::Object(d)).ok());  // rv 1 is current: accepted
  d.spec.replicas = 3;                            // still rv 1: stale now
  auto stale = store.update(config::Object(d));
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == 409);
  CHECK(stale.error().reason == "Conflict");
  CHECK(stale.error().message.find("deployments.apps \"web\"") != std::string::npos);

  auto missing = store.update(config::Object(make_pod("nope", {})));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "pods \"nope\" not found");
}

TEST_CASE("graceful pod deletion marks, shortens, and removes with grace 0") {
  std::string now = "2026-11-25T21:00:00Z";
  Store store = fixed_clock_store(&now);
  std::vector<WatchEvent> events;
  store.watch(Kind::kPod, [&](const WatchEvent& e) { events.push_back(e); });
  REQUIRE(store.create(config::Object(make_pod("p", {}))).ok());

  now = "2026-11-25T21:00:05Z";
  auto marked = store.remove(Kind::kPod, "default", "p");
  REQUIRE(marked.ok());
  auto pod = store.get(Kind::kPod, "default", "p");
  REQUIRE(pod);
  CHECK(config::meta(*pod).deletion_timestamp == "2026-11-25T21:00:05Z");
  CHECK(config::meta(*pod).deletion_grace_period_seconds == 30);
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == WatchEvent::Type::kModified);

  // A longer grace does not extend it; a shorter one shortens it.
  auto rv = store.resource_version();
  REQUIRE(store.remove(Kind::kPod, "default", "p", 60).ok());
  CHECK(store.resource_version() == rv);
  REQUIRE(store.remove(Kind::kPod, "default", "p", 5).ok());
  CHECK(config::meta(*store.get(Kind::kPod, "default", "p")).deletion_grace_period_seconds == 5);

  // Re-applying the pod does not revive it.
  auto revived = make_pod("p", {{"x", "y"}});
  REQUIRE(store.update(config::Object(revived)).ok());
  CHECK(config::meta(*store.get(Kind::kPod, "default", "p")).deletion_timestamp.has_value());

  auto gone = store.remove(Kind::kPod, "default", "p", 0);
  REQUIRE(gone.ok());
  CHECK(store.get(Kind::kPod, "default", "p") == nullptr);
  CHECK(events.back().type == WatchEvent::Type::kDeleted);
  CHECK(config::meta(*events.back().object).name == "p");
  CHECK(config::meta(*events.back().object).resource_version == store.resource_version());
}

TEST_CASE("unbound pods and other kinds are deleted at once") {
  Store store;
  auto p = make_pod("p", {});
  p.spec.node_name.clear();
  REQUIRE(store.create(config::Object(p)).ok());
  REQUIRE(store.remove(Kind::kPod, "default", "p").ok());
  CHECK(store.get(Kind::kPod, "default", "p") == nullptr);

  REQUIRE(store.create(config::Object(make_deployment("web", 1))).ok());
  REQUIRE(store.remove(Kind::kDeployment, "default", "web").ok());
  CHECK(store.count(Kind::kDeployment) == 0);
  auto again = store.remove(Kind::kDeployment, "default", "web");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == "deployments.apps \"web\" not found");
}

TEST_CASE("list is sorted by namespace and name and filters by namespace") {
  Store store;
  for (auto [ns, name] : {std::pair{"b", "x"}, {"a", "z"}, {"a", "y"}}) {
    auto p = make_pod(name, {});
    p.metadata.namespace_ = ns;
    REQUIRE(store.create(config::Object(p)).ok());
  }
  auto all = store.list(Kind::kPod);
  REQUIRE(all.size() == 3);
  CHECK(config::meta(*all[0]).name == "y");
  CHECK(config::meta(*all[1]).name == "z");
  CHECK(config::meta(*all[2]).name == "x");
  CHECK(store.list(Kind::kPod, "a").size() == 2);
  CHECK(store.list(Kind::kPod, "c").empty());
}

TEST_CASE("re-applying a Service without clusterIP and nodePort keeps the allocated ones") {
  Store store;
  config::Service s;
  s.metadata.name = "web";
  s.spec.type = "NodePort";
  s.spec.ports.push_back(config::ServicePort{"", "TCP", 80, config::IntOrString::of(8080), 0});
  REQUIRE(store.create(config::Object(s)).ok());
  auto allocated = s;
  allocated.spec.cluster_ip = "127.96.0.9";
  allocated.spec.cluster_ips = {"127.96.0.9"};
  allocated.spec.ports[0].node_port = 30007;
  REQUIRE(store.update(config::Object(allocated)).ok());
  auto rv = store.resource_version();

  REQUIRE(store.update(config::Object(s)).ok());  // the manifest again
  const auto* now = as<config::Service>(store.get(Kind::kService, "default", "web"));
  CHECK(now->spec.cluster_ip == "127.96.0.9");
  CHECK(now->spec.ports[0].node_port == 30007);
  CHECK(store.resource_version() == rv);  // nothing changed
}

TEST_CASE("a watcher may unwatch itself during a callback") {
  Store store;
  int calls = 0;
  uint64_t id = 0;
  id = store.watch(Kind::kPod, [&](const WatchEvent&) {
    ++calls;
    store.unwatch(id);
  });
  REQUIRE(store.create(config::Object(make_pod("a", {}))).ok());
  REQUIRE(store.create(config::Object(make_pod("b", {}))).ok());
  CHECK(calls == 1);
}
