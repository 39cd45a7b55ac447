#include "controller/endpoints_builder.h"

#include <catch2/catch.hpp>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_pod;
using skiff::controller::testing::make_service;
using skiff::controller::testing::ptrs;

TEST_CASE("ready pods are addresses, others notReadyAddresses, with targetRef") {
  auto svc = make_service("web", {{"app", "web"}});
  svc.metadata.labels = {{"tier", "front"}};
  std::vector<config::Pod> pods{
      make_pod("b", {{"app", "web"}}, "127.244.0.3", true),
      make_pod("a", {{"app", "web"}}, "127.244.0.2", true),
      make_pod("c", {{"app", "web"}}, "127.244.0.4", false),
      make_pod("other", {{"app", "db"}}, "127.244.0.5", true),
      make_pod("no-ip", {{"app", "web"}}, "", false),
  };
  auto ep = build_endpoints(svc, ptrs(pods));
  CHECK(ep.metadata.name == "web");
  CHECK(ep.metadata.labels.at("tier") == "front");
  REQUIRE(ep.subsets.size() == 1);
  const auto& s = ep.subsets[0];
  REQUIRE(s.addresses.size() == 2);
  CHECK(s.addresses[0].ip == "127.244.0.2");
  CHECK(s.addresses[1].ip == "127.244.0.3");
  REQUIRE(s.addresses[0].target_ref);
  CHECK(s.addresses[0].target_ref->kind == "Pod");
  CHECK(s.addresses[0].target_ref->name == "a");
  CHECK(s.addresses[0].target_ref->uid == "uid-a");
  CHECK(s.addresses[0].target_ref->namespace_ == "default");
  CHECK(s.addresses[0].node_name == "skiff");
  REQUIRE(s.not_ready_addresses.size() == 1);
  CHECK(s.not_ready_addresses[0].ip == "127.244.0.4");
  REQUIRE(s.ports.size() == 1);
  CHECK(s.ports[0].port == 5000);
  CHECK(s.ports[0].name.empty());
}

TEST_CASE("terminating, finished and other-namespace pods are excluded") {
  auto svc = make_service("web", {{"app", "web"}});
  auto terminating = make_pod("t", {{"app", "web"}}, "127.244.0.2", true);
  terminating.metadata.deletion_timestamp = "2026-11-25T21:00:00Z";
  auto done = make_pod("d", {{"app", "web"}}, "127.244.0.3", false);
  done.status.phase = "Succeeded";
  auto elsewhere = make_pod("e", {{"app", "web"}}, "127.244.0.4", true);
  elsewhere.metadata.namespace_ = "prod";
  std::vector<config::Pod> pods{terminating, done, elsewhere};
  CHECK(build_endpoints(svc, ptrs(pods)).subsets.empty());
}

TEST_CASE("publishNotReadyAddresses lists every pod as ready") {
  auto svc = make_service("web", {{"app", "web"}});
  svc.spec.publish_not_ready_addresses = true;
  std::vector<config::Pod> pods{make_pod("c", {{"app", "web"}}, "127.244.0.4", false)};
  auto ep = build_endpoints(svc, ptrs(pods));
  REQUIRE(ep.subsets.size() == 1);
  CHECK(ep.subsets[0].addresses.size() == 1);
  CHECK(ep.subsets[0].not_ready_addresses.empty());
}

TEST_CASE("a named targetPort resolves per pod and groups pods into subsets") {
  auto svc = make_service("web", {{"app", "web"}}, 80, config::IntOrString::of("http"));
  svc.spec.ports[0].name = "web";
  auto p5000 = make_pod("a", {{"app", "web"}}, "127.244.0.2", true);
  auto p8080 = make_pod("b", {{"app", "web"}}, "127.244.0.3", true);
  p8080.spec.containers[0].ports[0].container_port = 8080;
  auto unnamed = make_pod("c", {{"app", "web"}}, "127.244.0.4", true);
  unnamed.spec.containers[0].ports[0].name = "metrics";
  std::vector<config::Pod> pods{p8080, p5000, unnamed};
  auto ep = build_endpoints(svc, ptrs(pods));
  REQUIRE(ep.subsets.size() == 2);  // c has no port named "http": left out
  CHECK(ep.subsets[0].ports[0].port == 5000);
  CHECK(ep.subsets[0].ports[0].name == "web");
  CHECK(ep.subsets[0].addresses.at(0).ip == "127.244.0.2");
  CHECK(ep.subsets[1].ports[0].port == 8080);
  CHECK(ep.subsets[1].addresses.at(0).ip == "127.244.0.3");
}

TEST_CASE("a multi-port service yields one subset when every pod has every port") {
  auto svc = make_service("web", {{"app", "web"}});
  svc.spec.ports[0].name = "http";
  svc.spec.ports.push_back(
      config::ServicePort{"admin", "TCP", 9000, config::IntOrString::of(9001), 0});
  std::vector<config::Pod> pods{make_pod("a", {{"app", "web"}}, "127.244.0.2", true),
                                make_pod("b", {{"app", "web"}}, "127.244.0.3", false)};
  auto ep = build_endpoints(svc, ptrs(pods));
  REQUIRE(ep.subsets.size() == 1);
  REQUIRE(ep.subsets[0].ports.size() == 2);
  CHECK(ep.subsets[0].ports[0].name == "admin");
  CHECK(ep.subsets[0].ports[0].port == 9001);
  CHECK(ep.subsets[0].ports[1].name == "http");
  CHECK(ep.subsets[0].addresses.size() == 1);
  CHECK(ep.subsets[0].not_ready_addresses.size() == 1);
}

TEST_CASE("hostname is set for pods whose subdomain is the service") {
  auto svc = make_service("db", {{"app", "db"}});
  svc.spec.cluster_ip = "None";
  auto p = make_pod("db-0", {{"app", "db"}}, "127.244.0.2", true);
  p.spec.hostname = "db-0";
  p.spec.subdomain = "db";
  std::vector<config::Pod> pods{p};
  auto ep = build_endpoints(svc, ptrs(pods));
  REQUIRE(ep.subsets.size() == 1);
  CHECK(ep.subsets[0].addresses[0].hostname == "db-0");
}
