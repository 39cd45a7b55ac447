#include "proxy/listener_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace skiff::proxy {

namespace {

std::string format_address(const boost::asio::ip::address& address, uint16_t port) {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

// Collects specs for one plan, keeping the first claim of each key.
class PlanBuilder {
 public:
  explicit PlanBuilder(ListenerPlan& plan) : plan_(plan) {}

  void add(const controller::ServiceView& service, const controller::ServicePortView& port,
           std::string_view address_text, uint16_t listen_port, std::string_view what) {
    ListenerSpec spec{port.protocol, {}, listen_port, &service, &port};
    boost::system::error_code ec;
    spec.address = boost::asio::ip::make_address(address_text, ec);
    if (ec) {
      plan_.errors.push_back(
          fmt::format("{}: {} \"{}\" is not an IP address", spec.owner(), what, address_text));
      return;
    }
    if (listen_port == 0) {
      plan_.errors.push_back(fmt::format("{}: port 0 cannot be listened on", spec.owner()));
      return;
    }
    std::string key = spec.key();
    auto [it, inserted] = by_key_.emplace(key, spec);
    if (inserted) return;
    const ListenerSpec& first = it->second;
    if (first.service == &service && first.service_port == &port) return;
    plan_.errors.push_back(
        fmt::format("{}: {} is already used by {}", spec.owner(), key, first.owner()));
  }

  void finish() {
    for (auto& [key, spec] : by_key_) plan_.listeners.push_back(spec);
  }

 private:
  ListenerPlan& plan_;
  std::map<std::string, ListenerSpec> by_key_;  // sorted, so listeners come out sorted by key
};

bool has_cluster_address(const controller::ServiceView& service) {
  return !service.headless && !service.cluster_ip.empty() && service.cluster_ip != "None" &&
         service.type != "ExternalName";
}

}  // namespace

std::string ListenerSpec::key() const {
  return fmt::format("{} {}", protocol, format_address(address, port));
}

std::string ListenerSpec::owner() const {
  if (service == nullptr || service_port == nullptr) return "?";
  return fmt::format("{}/{} port {}", service->ns, service->name, service_port->port);
}

ListenerPlan plan_listeners(const controller::ServiceTable& table, std::string_view node_address) {
  ListenerPlan plan;
  PlanBuilder builder(plan);
  for (const auto& service : table.services) {
    if (service.type == "ExternalName") continue;  // DNS answers it with a CNAME; no socket
    for (const auto& port : service.ports) {
      if (port.protocol != "TCP" && port.protocol != "UDP") {
        plan.errors.push_back(fmt::format("{}/{} port {}: protocol {} is not supported", service.ns,
                                          service.name, port.port, port.protocol));
        continue;
      }
      if (has_cluster_address(service)) {
        builder.add(service, port, service.cluster_ip, port.port, "clusterIP");
      }
      if (service.type == "LoadBalancer") {
        builder.add(service, port, node_address, port.port, "node address");
        for (const auto& ip : service.load_balancer_ips) {
          builder.add(service, port, ip, port.port, "load balancer IP");
        }
      }
      if (port.node_port != 0) {
        builder.add(service, port, node_address, port.node_port, "node address");
      }
      for (const auto& ip : service.external_ips) {
        builder.add(service, port, ip, port.port, "external IP");
      }
    }
  }
  builder.finish();
  return plan;
}

std::string balancer_key(const controller::ServiceView& service,
                         const controller::ServicePortView& port) {
  return fmt::format("{}/{} {}/{}", service.ns, service.name, port.port, port.protocol);
}

}  // namespace skiff::proxy
