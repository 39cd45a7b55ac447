#include "controller/service_allocation.h"

#include <catch2/catch.hpp>
#include <set>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;

namespace {

ServiceAllocators small_pools() {
  return ServiceAllocators{*Ipv4RangeAllocator::from_cidr("127.96.0.0/29"),
                           PortRangeAllocator(30000, 30002)};
}

config::ServiceSpec node_port_spec() {
  config::ServiceSpec s;
  s.type = "NodePort";
  s.ports.push_back(config::ServicePort{"http", "TCP", 80, config::IntOrString::of(5000), 0});
  return s;
}

}  // namespace

TEST_CASE("CIDR parsing and range membership") {
  CHECK_FALSE(Ipv4RangeAllocator::from_cidr("127.96.0.0"));
  CHECK_FALSE(Ipv4RangeAllocator::from_cidr("127.96.0.0/33"));
  CHECK_FALSE(Ipv4RangeAllocator::from_cidr("300.96.0.0/12"));
  auto r = Ipv4RangeAllocator::from_cidr("127.96.0.0/12");
  REQUIRE(r);
  CHECK(r->contains("127.96.0.1"));
  CHECK(r->contains("127.111.255.254"));
  CHECK_FALSE(r->contains("127.96.0.0"));       // network
  CHECK_FALSE(r->contains("127.111.255.255"));  // broadcast
  CHECK_FALSE(r->contains("127.112.0.1"));
  CHECK_FALSE(r->contains("not-an-ip"));
}

TEST_CASE("cluster IPs are unique, in range, and exhaust cleanly") {
  auto a = small_pools();  // /29: 6 usable addresses
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    auto ip = a.cluster_ips.allocate();
    REQUIRE(ip);
    CHECK(a.cluster_ips.contains(*ip));
    CHECK(seen.insert(*ip).second);
  }
  CHECK_FALSE(a.cluster_ips.allocate());
  a.cluster_ips.release("127.96.0.3");
  CHECK(a.cluster_ips.allocate() == "127.96.0.3");
}

TEST_CASE("assign allocates a clusterIP and honours a requested free one") {
  auto a = small_pools();
  config::ServiceSpec s;
  auto first = assign_service_addresses(s, {}, a);
  CHECK(first.spec.cluster_ip == "127.96.0.1");
  CHECK(first.spec.cluster_ips == std::vector<std::string>{"127.96.0.1"});
  CHECK(first.held.cluster_ip == "127.96.0.1");
  CHECK(first.warnings.empty());

  s.cluster_ip = "127.96.0.5";
  auto requested = assign_service_addresses(s, {}, a);
  CHECK(requested.spec.cluster_ip == "127.96.0.5");
  CHECK(a.cluster_ips.in_use("127.96.0.5"));

  // Re-assigning with what it holds changes nothing and allocates nothing.
  auto again = assign_service_addresses(requested.spec, requested.held, a);
  CHECK(again.spec == requested.spec);
  CHECK(a.cluster_ips.used() == 2);
}

TEST_CASE("a clusterIP held by another Service is never handed out twice") {
  auto a = small_pools();
  config::ServiceSpec s;
  s.cluster_ip = "127.96.0.2";
  auto owner = assign_service_addresses(s, {}, a);
  REQUIRE(owner.spec.cluster_ip == "127.96.0.2");
  auto thief = assign_service_addresses(s, {}, a);
  CHECK(thief.spec.cluster_ip != "127.96.0.2");
  CHECK_FALSE(thief.spec.cluster_ip.empty());
  CHECK(thief.warnings.size() == 1);

  s.cluster_ip = "10.0.0.1";
  auto outside = assign_service_addresses(s, {}, a);
  CHECK(a.cluster_ips.contains(outside.spec.cluster_ip));
  CHECK(outside.warnings.size() == 1);
}

TEST_CASE("headless and ExternalName Services get no address") {
  auto a = small_pools();
  config::ServiceSpec headless;
  headless.cluster_ip = "None";
  auto h = assign_service_addresses(headless, {}, a);
  CHECK(h.spec.cluster_ip == "None");
  CHECK(h.spec.cluster_ips == std::vector<std::string>{"None"});
  config::ServiceSpec ext;
  ext.type = "ExternalName";
  ext.external_name = "example.com";
  CHECK(assign_service_addresses(ext, {}, a).spec.cluster_ip.empty());
  CHECK(a.cluster_ips.used() == 0);
}

TEST_CASE("node ports are allocated, honoured, released and cleared for ClusterIP") {
  auto a = small_pools();
  auto s = node_port_spec();
  auto first = assign_service_addresses(s, {}, a);
  CHECK(first.spec.ports[0].node_port == 30000);

  s.ports[0].node_port = 30002;
  auto requested = assign_service_addresses(s, {}, a);
  CHECK(requested.spec.ports[0].node_port == 30002);
  auto conflict = assign_service_addresses(s, {}, a);
  CHECK(conflict.spec.ports[0].node_port == 30001);
  CHECK(conflict.warnings.size() == 1);
  CHECK_FALSE(assign_service_addresses(node_port_spec(), {}, a).spec.ports[0].node_port);

  // Turning into ClusterIP releases the port.
  auto as_cluster_ip = requested.spec;
  as_cluster_ip.type = "ClusterIP";
  auto cleared = assign_service_addresses(as_cluster_ip, requested.held, a);
  CHECK(cleared.spec.ports[0].node_port == 0);
  CHECK_FALSE(a.node_ports.in_use(30002));

  release_service_addresses(first.held, a);
  CHECK_FALSE(a.node_ports.in_use(30000));
  CHECK_FALSE(a.cluster_ips.in_use(first.spec.cluster_ip));
}

TEST_CASE("claiming existing values takes what stored Services hold") {
  auto a = small_pools();
  auto s = node_port_spec();
  s.cluster_ip = "127.96.0.1";
  s.ports[0].node_port = 30000;
  auto held = claim_service_addresses(s, a);
  CHECK(held.cluster_ip == "127.96.0.1");
  CHECK(held.node_ports == std::vector<int>{30000});
  // A new Service allocates around them.
  auto other = assign_service_addresses(node_port_spec(), {}, a);
  CHECK(other.spec.cluster_ip == "127.96.0.2");
  CHECK(other.spec.ports[0].node_port == 30001);
}
