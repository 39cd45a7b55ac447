#include "controller/service_table_builder.h"

#include <catch2/catch.hpp>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_service;

namespace {

config::EndpointAddress address(const std::string& ip, const std::string& pod) {
  config::EndpointAddress a;
  a.ip = ip;
  if (!pod.empty()) a.target_ref = config::ObjectReference{"Pod", "default", pod, "uid-" + pod};
  return a;
}

config::ObjectPtr ptr(config::Object o) { return std::make_shared<const config::Object>(o); }

}  // namespace

TEST_CASE("a view lists ready endpoints per port, matched by port name") {
  auto svc = make_service("web", {{"app", "web"}});
  svc.spec.cluster_ip = "127.96.0.1";
  svc.spec.type = "LoadBalancer";
  svc.spec.ports[0].name = "http";
  svc.spec.ports[0].node_port = 30080;
  svc.spec.ports.push_back(config::ServicePort{"admin", "TCP", 9000, {}, 30090});
  svc.status.load_balancer_ingress = {{"127.0.0.1", ""}};
  svc.metadata.annotations = {{"skiff.io/balance", "least-conn"}};
  svc.spec.session_affinity = "ClientIP";

  config::Endpoints ep;
  ep.metadata.name = "web";
  config::EndpointSubset a;
  a.addresses = {address("127.244.0.3", "b"), address("127.244.0.2", "a")};
  a.not_ready_addresses = {address("127.244.0.9", "z")};
  a.ports = {{"http", 5000, "TCP"}, {"admin", 9001, "TCP"}};
  config::EndpointSubset b;
  b.addresses = {address("127.244.0.4", "c")};
  b.ports = {{"http", 8080, "TCP"}};
  ep.subsets = {a, b};

  auto v = build_service_view(svc, &ep);
  CHECK(v.ns == "default");
  CHECK(v.name == "web");
  CHECK(v.type == "LoadBalancer");
  CHECK(v.cluster_ip == "127.96.0.1");
  CHECK_FALSE(v.headless);
  CHECK(v.load_balancer_ips == std::vector<std::string>{"127.0.0.1"});
  CHECK(v.session_affinity == "ClientIP");
  CHECK(v.annotations.at("skiff.io/balance") == "least-conn");
  REQUIRE(v.ports.size() == 2);
  const auto& http = v.ports[0];
  CHECK(http.name == "http");
  CHECK(http.port == 6000);
  CHECK(http.node_port == 30080);
  REQUIRE(http.endpoints.size() == 3);
  CHECK(http.endpoints[0].ip == "127.244.0.2");
  CHECK(http.endpoints[0].port == 5000);
  CHECK(http.endpoints[0].pod_name == "a");
  CHECK(http.endpoints[2].ip == "127.244.0.4");
  CHECK(http.endpoints[2].port == 8080);
  const auto& admin = v.ports[1];
  REQUIRE(admin.endpoints.size() == 2);
  CHECK(admin.endpoints[0].port == 9001);
  // Ready addresses only, distinct, for DNS.
  REQUIRE(v.ready_addresses.size() == 3);
  CHECK(v.ready_addresses[0].ip == "127.244.0.2");
  CHECK(v.ready_addresses[0].pod_name == "a");
}

TEST_CASE("headless and endpoint-less services") {
  auto svc = make_service("db", {{"app", "db"}});
  svc.spec.cluster_ip = "None";
  auto v = build_service_view(svc, nullptr);
  CHECK(v.headless);
  CHECK(v.cluster_ip == "None");
  REQUIRE(v.ports.size() == 1);
  CHECK(v.ports[0].endpoints.empty());
  CHECK(v.ready_addresses.empty());
}

TEST_CASE("the table is sorted by namespace and name and pairs endpoints by name") {
  auto b = make_service("b", {{"app", "b"}});
  auto a = make_service("a", {{"app", "a"}});
  auto z = make_service("z", {{"app", "z"}});
  z.metadata.namespace_ = "aaa";
  config::Endpoints ep;
  ep.metadata.name = "a";
  config::EndpointSubset s;
  s.addresses = {address("127.244.0.2", "")};
  s.ports = {{"", 5000, "TCP"}};
  ep.subsets = {s};
  auto t = build_service_table({ptr(b), ptr(a), ptr(z)}, {ptr(ep)}, 7);
  CHECK(t.version == 7);
  REQUIRE(t.services.size() == 3);
  CHECK(t.services[0].name == "z");
  CHECK(t.services[1].name == "a");
  CHECK(t.services[2].name == "b");
  REQUIRE(t.services[1].ports[0].endpoints.size() == 1);
  CHECK(t.services[1].ports[0].endpoints[0].pod_name.empty());
  CHECK(t.services[2].ports[0].endpoints.empty());
  REQUIRE(t.find("default", "a"));
  CHECK(t.find("default", "a")->ports[0].endpoints[0].ip == "127.244.0.2");

  auto same = build_service_table({ptr(a), ptr(b), ptr(z)}, {ptr(ep)}, 8);
  CHECK(same_services(t, same));
  ep.subsets.clear();
  auto changed = build_service_table({ptr(a), ptr(b), ptr(z)}, {ptr(ep)}, 9);
  CHECK_FALSE(same_services(t, changed));
}
