#include "controller/endpoints_builder.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include "config/labels.h"
#include "controller/pod_state.h"

namespace skiff::controller {
namespace {

using PortKey = std::vector<std::tuple<std::string, int, std::string>>;  // name, port, protocol

std::optional<int> resolve_target_port(const config::ServicePort& sp, const config::Pod& pod) {
  const auto& tp = sp.target_port;
  if (tp.is_int) return tp.int_value == 0 ? sp.port : tp.int_value;
  if (tp.str_value.empty()) return sp.port;
  for (const auto& c : pod.spec.containers) {
    for (const auto& p : c.ports) {
      if (p.name == tp.str_value && p.protocol == sp.protocol) return p.container_port;
    }
  }
  return std::nullopt;
}

bool address_less(const config::EndpointAddress& a, const config::EndpointAddress& b) {
  std::string an = a.target_ref ? a.target_ref->name : "";
  std::string bn = b.target_ref ? b.target_ref->name : "";
  return std::tie(a.ip, an) < std::tie(b.ip, bn);
}

}  // namespace

config::Endpoints build_endpoints(const config::Service& service,
                                  const std::vector<const config::Pod*>& pods) {
  config::Endpoints ep;
  ep.metadata.name = service.metadata.name;
  ep.metadata.namespace_ = service.metadata.namespace_;
  ep.metadata.labels = service.metadata.labels;

  std::map<PortKey, config::EndpointSubset> subsets;
  for (const auto* pod : pods) {
    if (pod->metadata.namespace_ != service.metadata.namespace_) continue;
    if (!config::selector_matches(service.spec.selector, pod->metadata.labels)) continue;
    if (pod->status.pod_ip.empty() || !pod_active(*pod)) continue;

    PortKey key;
    std::vector<config::EndpointPort> ports;
    for (const auto& sp : service.spec.ports) {
      auto port = resolve_target_port(sp, *pod);
      if (!port) continue;
      key.emplace_back(sp.name, *port, sp.protocol);
      ports.push_back(config::EndpointPort{sp.name, *port, sp.protocol});
    }
    if (key.empty() && !service.spec.ports.empty()) continue;

    config::EndpointAddress addr;
    addr.ip = pod->status.pod_ip;
    addr.node_name = pod->spec.node_name;
    if (!pod->spec.hostname.empty() && pod->spec.subdomain == service.metadata.name) {
      addr.hostname = pod->spec.hostname;
    }
    addr.target_ref = config::ObjectReference{"Pod", pod->metadata.namespace_, pod->metadata.name,
                                              pod->metadata.uid};

    std::sort(key.begin(), key.end());
    auto& subset = subsets[key];
    if (subset.ports.empty() && !ports.empty()) {
      std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
        return std::tie(a.name, a.port, a.protocol) < std::tie(b.name, b.port, b.protocol);
      });
      subset.ports = std::move(ports);
    }
    if (pod_ready(*pod) || service.spec.publish_not_ready_addresses) {
      subset.addresses.push_back(std::move(addr));
    } else {
      subset.not_ready_addresses.push_back(std::move(addr));
    }
  }
  for (auto& [key, subset] : subsets) {
    std::sort(subset.addresses.begin(), subset.addresses.end(), address_less);
    std::sort(subset.not_ready_addresses.begin(), subset.not_ready_addresses.end(), address_less);
    ep.subsets.push_back(std::move(subset));
  }
  return ep;
}

}  // namespace skiff::controller
