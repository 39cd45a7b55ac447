#include "proxy/listener_plan.h"

#include <catch2/catch.hpp>

using skiff::controller::ServicePortView;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceView;
using skiff::proxy::plan_listeners;

namespace {

ServiceView service(std::string name, std::string type, std::string cluster_ip,
                    std::vector<ServicePortView> ports) {
  ServiceView s;
  s.ns = "default";
  s.name = std::move(name);
  s.type = std::move(type);
  s.cluster_ip = std::move(cluster_ip);
  s.headless = s.cluster_ip == "None";
  s.ports = std::move(ports);
  return s;
}

ServicePortView port(uint16_t number, uint16_t node_port = 0, std::string protocol = "TCP") {
  ServicePortView p;
  p.port = number;
  p.node_port = node_port;
  p.protocol = std::move(protocol);
  return p;
}

std::vector<std::string> keys(const skiff::proxy::ListenerPlan& plan) {
  std::vector<std::string> out;
  for (const auto& l : plan.listeners) out.push_back(l.key());
  return out;
}

}  // namespace

TEST_CASE("a ClusterIP service listens on its cluster IP only", "[proxy][listener_plan]") {
  ServiceTable table;
  table.services.push_back(
      service("web", "ClusterIP", "127.96.0.10", {port(80), port(53, 0, "UDP")}));
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.96.0.10:80", "UDP 127.96.0.10:53"});
  CHECK(plan.errors.empty());
  REQUIRE(plan.listeners.size() == 2);
  CHECK(plan.listeners[0].owner() == "default/web port 80");
  CHECK(plan.listeners[0].service_port == &table.services[0].ports[0]);
}

TEST_CASE("headless and ExternalName services get no listener", "[proxy][listener_plan]") {
  ServiceTable table;
  table.services.push_back(service("db", "ClusterIP", "None", {port(5432)}));
  auto external = service("ext", "ExternalName", "", {port(443)});
  external.external_name = "example.com";
  table.services.push_back(external);
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(plan.listeners.empty());
  CHECK(plan.errors.empty());
}

TEST_CASE("a LoadBalancer service listens on cluster IP and node address and node port and its IPs",
          "[proxy][listener_plan]") {
  ServiceTable table;
  auto lb = service("web", "LoadBalancer", "127.96.0.10", {port(6000, 30080)});
  lb.load_balancer_ips = {"127.50.0.1"};
  lb.external_ips = {"127.60.0.1"};
  table.services.push_back(lb);
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.0.0.1:30080", "TCP 127.0.0.1:6000",
                                               "TCP 127.50.0.1:6000", "TCP 127.60.0.1:6000",
                                               "TCP 127.96.0.10:6000"});
  CHECK(plan.errors.empty());
}

TEST_CASE("a NodePort service listens on the node port but not the node address at port",
          "[proxy][listener_plan]") {
  ServiceTable table;
  table.services.push_back(service("web", "NodePort", "127.96.0.11", {port(80, 30081)}));
  auto plan = plan_listeners(table, "127.0.0.2");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.0.0.2:30081", "TCP 127.96.0.11:80"});
}

TEST_CASE("a second service claiming an address gets an error", "[proxy][listener_plan]") {
  ServiceTable table;
  table.services.push_back(service("a", "LoadBalancer", "127.96.0.1", {port(6000)}));
  table.services.push_back(service("b", "LoadBalancer", "127.96.0.2", {port(6000)}));
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.0.0.1:6000", "TCP 127.96.0.1:6000",
                                               "TCP 127.96.0.2:6000"});
  REQUIRE(plan.listeners.size() == 3);
  CHECK(plan.listeners[0].service->name == "a");
  CHECK(plan.errors == std::vector<std::string>{
                           "default/b port 6000: TCP 127.0.0.1:6000 is already used by default/a "
                           "port 6000"});
}

TEST_CASE("the same port on TCP and UDP are different listeners", "[proxy][listener_plan]") {
  ServiceTable table;
  table.services.push_back(
      service("dns", "ClusterIP", "127.96.0.53", {port(53, 0, "TCP"), port(53, 0, "UDP")}));
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.96.0.53:53", "UDP 127.96.0.53:53"});
  CHECK(plan.errors.empty());
}

TEST_CASE("bad addresses and protocols are reported and not listened on",
          "[proxy][listener_plan]") {
  ServiceTable table;
  auto web = service("web", "ClusterIP", "127.96.0.10", {port(80), port(81, 0, "SCTP")});
  web.external_ips = {"not-an-ip"};
  table.services.push_back(web);
  auto plan = plan_listeners(table, "127.0.0.1");
  CHECK(keys(plan) == std::vector<std::string>{"TCP 127.96.0.10:80"});
  CHECK(plan.errors == std::vector<std::string>{
                           "default/web port 80: external IP \"not-an-ip\" is not an IP address",
                           "default/web port 81: protocol SCTP is not supported"});
}
