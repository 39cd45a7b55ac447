// Service and Endpoints checks.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config::validation_internal {

void validate(Errors& e, const Service& svc) {
  check_meta(e, svc.metadata, NameRule::kDns1035);
  const ServiceSpec& s = svc.spec;
  if (!one_of(s.type, {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})) {
    e.unsupported("spec.type", s.type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  }
  const bool headless = s.cluster_ip == "None";
  if (s.type == "ExternalName") {
    if (s.external_name.empty()) {
      e.required("spec.externalName");
    } else {
      e.name_rule("spec.externalName", s.external_name, dns1123_subdomain_errors(s.external_name));
    }
  } else if (s.ports.empty() && !headless) {
    e.required("spec.ports");
  }
  if (headless && s.type != "ClusterIP" && s.type != "ExternalName") {
    e.invalid("spec.clusterIP", std::string_view("None"),
              "may not be set to 'None' for " + s.type + " services");
  } else if (!s.cluster_ip.empty() && !headless && !is_valid_ip(s.cluster_ip)) {
    e.invalid("spec.clusterIP", std::string_view(s.cluster_ip),
              "must be empty, 'None', or a valid IP address");
  }
  for (size_t i = 0; i < s.external_ips.size(); ++i) {
    if (!is_valid_ip(s.external_ips[i])) {
      e.invalid(item("spec.externalIPs", i), std::string_view(s.external_ips[i]),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }
  }
  std::set<std::string> names;
  std::set<std::string> port_keys;
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePort& port = s.ports[i];
    const std::string p = item("spec.ports", i);
    if (port.name.empty()) {
      if (s.ports.size() > 1) e.required(at(p, "name"));
    } else {
      e.name_rule(at(p, "name"), port.name, dns1123_label_errors(port.name));
      if (!names.insert(port.name).second) e.duplicate(at(p, "name"), port.name);
    }
    check_port_number(e, at(p, "port"), port.port);
    check_protocol(e, at(p, "protocol"), port.protocol);
    if (!port.target_port.empty()) check_int_or_port_name(e, at(p, "targetPort"), port.target_port);
    if (port.node_port != 0) {
      if (s.type != "NodePort" && s.type != "LoadBalancer") {
        e.forbidden(at(p, "nodePort"), "may not be used when `type` is '" + s.type + "'");
      } else if (port.node_port < 30000 || port.node_port > 32767) {
        e.invalid(at(p, "nodePort"), int64_t{port.node_port},
                  "provided port is not in the valid range. The range of valid ports is "
                  "30000-32767");
      }
    }
    const std::string key = std::to_string(port.port) + "/" + port.protocol;
    if (!port_keys.insert(key).second) e.duplicate(p, key);
  }
  check_labels(e, "spec.selector", s.selector);
  if (!one_of(s.session_affinity, {"None", "ClientIP"})) {
    e.unsupported("spec.sessionAffinity", s.session_affinity, {"ClientIP", "None"});
  } else if (s.session_affinity == "ClientIP" && (s.session_affinity_timeout_seconds < 1 ||
                                                  s.session_affinity_timeout_seconds > 86400)) {
    e.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds",
              int64_t{s.session_affinity_timeout_seconds},
              "must be greater than 0 and less than 86400");
  }
}

void validate(Errors& e, const Endpoints& ep) {
  check_meta(e, ep.metadata, NameRule::kSubdomain);
  for (size_t i = 0; i < ep.subsets.size(); ++i) {
    const EndpointSubset& subset = ep.subsets[i];
    const std::string sp = item("subsets", i);
    auto check_addresses = [&](const char* name, const std::vector<EndpointAddress>& addrs) {
      for (size_t k = 0; k < addrs.size(); ++k) {
        if (!is_valid_ip(addrs[k].ip)) {
          e.invalid(at(item(at(sp, name), k), "ip"), std::string_view(addrs[k].ip),
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
      }
    };
    check_addresses("addresses", subset.addresses);
    check_addresses("notReadyAddresses", subset.not_ready_addresses);
    for (size_t k = 0; k < subset.ports.size(); ++k) {
      const EndpointPort& port = subset.ports[k];
      const std::string pp = item(at(sp, "ports"), k);
      if (port.name.empty() && subset.ports.size() > 1) e.required(at(pp, "name"));
      check_port_number(e, at(pp, "port"), port.port);
      check_protocol(e, at(pp, "protocol"), port.protocol);
    }
  }
}

}  // namespace skiff::config::validation_internal
