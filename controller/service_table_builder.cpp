#include "controller/service_table_builder.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace skiff::controller {
namespace {

auto endpoint_tie(const EndpointView& e) { return std::tie(e.ip, e.port, e.pod_name, e.hostname); }
auto address_tie(const AddressView& a) { return std::tie(a.ip, a.hostname, a.pod_name); }
auto port_tie(const ServicePortView& p) {
  return std::tie(p.name, p.protocol, p.port, p.node_port);
}

std::string pod_name_of(const config::EndpointAddress& a) {
  return a.target_ref && a.target_ref->kind == "Pod" ? a.target_ref->name : std::string();
}

}  // namespace

ServiceView build_service_view(const config::Service& service, const config::Endpoints* endpoints) {
  const auto& spec = service.spec;
  ServiceView v;
  v.ns = service.metadata.namespace_;
  v.name = service.metadata.name;
  v.type = spec.type;
  v.cluster_ip = spec.type == "ExternalName" ? std::string() : spec.cluster_ip;
  v.headless = spec.cluster_ip == "None";
  v.external_ips = spec.external_ips;
  v.external_name = spec.external_name;
  for (const auto& ing : service.status.load_balancer_ingress) {
    if (!ing.ip.empty()) v.load_balancer_ips.push_back(ing.ip);
  }
  v.session_affinity = spec.session_affinity;
  v.session_affinity_timeout_seconds = spec.session_affinity_timeout_seconds;
  v.annotations = service.metadata.annotations;

  for (const auto& sp : spec.ports) {
    ServicePortView pv;
    pv.name = sp.name;
    pv.protocol = sp.protocol;
    pv.port = static_cast<uint16_t>(sp.port);
    pv.node_port = static_cast<uint16_t>(sp.node_port);
    if (endpoints) {
      for (const auto& subset : endpoints->subsets) {
        for (const auto& ep : subset.ports) {
          if (ep.name != sp.name || ep.protocol != sp.protocol) continue;
          if (ep.port <= 0 || ep.port > 65535) continue;
          for (const auto& a : subset.addresses) {
            pv.endpoints.push_back(
                EndpointView{a.ip, static_cast<uint16_t>(ep.port), pod_name_of(a), a.hostname});
          }
        }
      }
    }
    std::sort(pv.endpoints.begin(), pv.endpoints.end(), [](const auto& a, const auto& b) {
      return std::tie(a.ip, a.port, a.pod_name) < std::tie(b.ip, b.port, b.pod_name);
    });
    pv.endpoints.erase(
        std::unique(pv.endpoints.begin(), pv.endpoints.end(),
                    [](const auto& a, const auto& b) { return a.ip == b.ip && a.port == b.port; }),
        pv.endpoints.end());
    v.ports.push_back(std::move(pv));
  }

  if (endpoints) {
    std::map<std::string, AddressView> by_ip;
    for (const auto& subset : endpoints->subsets) {
      for (const auto& a : subset.addresses) {
        by_ip.emplace(a.ip, AddressView{a.ip, a.hostname, pod_name_of(a)});
      }
    }
    for (auto& [ip, a] : by_ip) v.ready_addresses.push_back(std::move(a));
  }
  return v;
}

ServiceTable build_service_table(const std::vector<config::ObjectPtr>& services,
                                 const std::vector<config::ObjectPtr>& endpoints,
                                 uint64_t version) {
  std::map<std::pair<std::string, std::string>, const config::Endpoints*> eps;
  for (const auto& e : endpoints) {
    if (const auto* ep = std::get_if<config::Endpoints>(e.get())) {
      eps[{ep->metadata.namespace_, ep->metadata.name}] = ep;
    }
  }
  ServiceTable t;
  t.version = version;
  for (const auto& s : services) {
    const auto* svc = std::get_if<config::Service>(s.get());
    if (!svc) continue;
    auto it = eps.find({svc->metadata.namespace_, svc->metadata.name});
    t.services.push_back(build_service_view(*svc, it == eps.end() ? nullptr : it->second));
  }
  std::sort(t.services.begin(), t.services.end(), [](const auto& a, const auto& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  return t;
}

bool same_view(const ServiceView& a, const ServiceView& b) {
  auto scalars = [](const ServiceView& v) {
    return std::tie(v.ns, v.name, v.type, v.cluster_ip, v.headless, v.external_ips, v.external_name,
                    v.load_balancer_ips, v.session_affinity, v.session_affinity_timeout_seconds,
                    v.annotations);
  };
  if (scalars(a) != scalars(b)) return false;
  if (a.ports.size() != b.ports.size() || a.ready_addresses.size() != b.ready_addresses.size()) {
    return false;
  }
  for (size_t i = 0; i < a.ports.size(); ++i) {
    const auto& pa = a.ports[i];
    const auto& pb = b.ports[i];
    if (port_tie(pa) != port_tie(pb) || pa.endpoints.size() != pb.endpoints.size()) return false;
    for (size_t j = 0; j < pa.endpoints.size(); ++j) {
      if (endpoint_tie(pa.endpoints[j]) != endpoint_tie(pb.endpoints[j])) return false;
    }
  }
  for (size_t i = 0; i < a.ready_addresses.size(); ++i) {
    if (address_tie(a.ready_addresses[i]) != address_tie(b.ready_addresses[i])) return false;
  }
  return true;
}

bool same_services(const ServiceTable& a, const ServiceTable& b) {
  if (a.services.size() != b.services.size()) return false;
  for (size_t i = 0; i < a.services.size(); ++i) {
    if (!same_view(a.services[i], b.services[i])) return false;
  }
  return true;
}

}  // namespace skiff::controller
