#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

void read(const json& j, const std::string& p, ServicePort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "protocol", v.protocol);
  field(j, p, "port", v.port);
  field(j, p, "targetPort", v.target_port);
  field(j, p, "nodePort", v.node_port);
}

void read(const json& j, const std::string& p, ServiceSpec& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  field(j, p, "selector", v.selector);
  field(j, p, "ports", v.ports);
  field(j, p, "clusterIP", v.cluster_ip);
  field(j, p, "clusterIPs", v.cluster_ips);
  field(j, p, "externalIPs", v.external_ips);
  field(j, p, "externalName", v.external_name);
  field(j, p, "sessionAffinity", v.session_affinity);
  if (const json* c = find(j, "sessionAffinityConfig")) {
    const std::string cp = at(p, "sessionAffinityConfig");
    expect_object(*c, cp);
    if (const json* ip = find(*c, "clientIP")) {
      expect_object(*ip, at(cp, "clientIP"));
      field(*ip, at(cp, "clientIP"), "timeoutSeconds", v.session_affinity_timeout_seconds);
    }
  }
  field(j, p, "publishNotReadyAddresses", v.publish_not_ready_addresses);
}

void read(const json& j, const std::string& p, LoadBalancerIngress& v) {
  expect_object(j, p);
  field(j, p, "ip", v.ip);
  field(j, p, "hostname", v.hostname);
}

void read(const json& j, const std::string& p, ServiceStatus& v) {
  expect_object(j, p);
  if (const json* lb = find(j, "loadBalancer")) {
    expect_object(*lb, at(p, "loadBalancer"));
    field(*lb, at(p, "loadBalancer"), "ingress", v.load_balancer_ingress);
  }
}

void read(const json& j, const std::string& p, EndpointAddress& v) {
  expect_object(j, p);
  field(j, p, "ip", v.ip);
  field(j, p, "hostname", v.hostname);
  field(j, p, "nodeName", v.node_name);
  field(j, p, "targetRef", v.target_ref);
}

void read(const json& j, const std::string& p, EndpointPort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "port", v.port);
  field(j, p, "protocol", v.protocol);
}

void read(const json& j, const std::string& p, EndpointSubset& v) {
  expect_object(j, p);
  field(j, p, "addresses", v.addresses);
  field(j, p, "notReadyAddresses", v.not_ready_addresses);
  field(j, p, "ports", v.ports);
}

void read(const json& j, const std::string& p, Service& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, Endpoints& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "subsets", v.subsets);
}

}  // namespace json_detail

void to_json(json& j, const ServicePort& v) {
  j = json::object();
  put(j, "name", v.name);
  put(j, "protocol", v.protocol);
  j["port"] = v.port;
  if (!v.target_port.empty()) j["targetPort"] = int_or_string(v.target_port);
  put_nonzero(j, "nodePort", v.node_port);
}

void to_json(json& j, const LoadBalancerIngress& v) {
  j = json::object();
  put(j, "ip", v.ip);
  put(j, "hostname", v.hostname);
}

void to_json(json& j, const EndpointAddress& v) {
  j = json::object();
  j["ip"] = v.ip;
  put(j, "hostname", v.hostname);
  put(j, "nodeName", v.node_name);
  if (v.target_ref) {
    json r = json::object();
    put(r, "kind", v.target_ref->kind);
    put(r, "namespace", v.target_ref->namespace_);
    put(r, "name", v.target_ref->name);
    put(r, "uid", v.target_ref->uid);
    j["targetRef"] = std::move(r);
  }
}

void to_json(json& j, const EndpointPort& v) {
  j = json::object();
  put(j, "name", v.name);
  j["port"] = v.port;
  put(j, "protocol", v.protocol);
}

void to_json(json& j, const EndpointSubset& v) {
  j = json::object();
  put_list(j, "addresses", v.addresses);
  put_list(j, "notReadyAddresses", v.not_ready_addresses);
  put_list(j, "ports", v.ports);
}

void to_json(json& j, const Service& v) {
  j = json::object();
  j["kind"] = Service::kKind;
  j["apiVersion"] = Service::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  put(spec, "type", v.spec.type);
  put(spec, "selector", v.spec.selector);
  put_list(spec, "ports", v.spec.ports);
  put(spec, "clusterIP", v.spec.cluster_ip);
  put(spec, "clusterIPs", v.spec.cluster_ips);
  put(spec, "externalIPs", v.spec.external_ips);
  put(spec, "externalName", v.spec.external_name);
  put(spec, "sessionAffinity", v.spec.session_affinity);
  if (v.spec.session_affinity == "ClientIP") {
    spec["sessionAffinityConfig"] = {
        {"clientIP", {{"timeoutSeconds", v.spec.session_affinity_timeout_seconds}}}};
  }
  put_true(spec, "publishNotReadyAddresses", v.spec.publish_not_ready_addresses);
  j["spec"] = std::move(spec);
  json lb = json::object();
  put_list(lb, "ingress", v.status.load_balancer_ingress);
  j["status"] = {{"loadBalancer", std::move(lb)}};
}
void from_json(const json& j, Service& v) { read(j, "", v); }

void to_json(json& j, const Endpoints& v) {
  j = json::object();
  j["kind"] = Endpoints::kKind;
  j["apiVersion"] = Endpoints::kApiVersion;
  j["metadata"] = v.metadata;
  put_list(j, "subsets", v.subsets);
}
void from_json(const json& j, Endpoints& v) { read(j, "", v); }

}  // namespace skiff::config
