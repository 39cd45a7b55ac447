// Small builders for the objects the controller tests feed in.
#pragma once

#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::controller::testing {

inline config::Pod make_pod(const std::string& name, config::StringMap labels,
                            const std::string& ip = "", bool ready = false) {
  config::Pod p;
  p.metadata.name = name;
  p.metadata.uid = "uid-" + name;
  p.metadata.labels = std::move(labels);
  p.metadata.creation_timestamp = "2026-11-25T21:00:00Z";
  p.spec.node_name = "skiff";
  p.spec.containers.push_back(config::Container{});
  p.spec.containers[0].name = "app";
  p.spec.containers[0].ports.push_back(config::ContainerPort{"http", 5000, "TCP", 0});
  p.status.pod_ip = ip;
  p.status.phase = ip.empty() ? "Pending" : "Running";
  p.status.conditions.push_back(
      config::Condition{"Ready", ready ? "True" : "False", "", "", "2026-11-25T21:00:00Z", ""});
  return p;
}

inline config::Service make_service(const std::string& name, config::StringMap selector,
                                    int port = 6000,
                                    config::IntOrString target = config::IntOrString::of(5000)) {
  config::Service s;
  s.metadata.name = name;
  s.metadata.uid = "uid-" + name;
  s.spec.selector = std::move(selector);
  config::ServicePort sp;
  sp.port = port;
  sp.target_port = std::move(target);
  s.spec.ports.push_back(sp);
  return s;
}

inline config::Deployment make_deployment(const std::string& name, int replicas,
                                          const std::string& image = "hello:1") {
  config::Deployment d;
  d.metadata.name = name;
  d.spec.replicas = replicas;
  d.spec.selector.match_labels = {{"app", name}};
  d.spec.template_.metadata.labels = {{"app", name}};
  config::Container c;
  c.name = "app";
  c.image = image;
  c.ports.push_back(config::ContainerPort{"http", 5000, "TCP", 0});
  d.spec.template_.spec.containers.push_back(c);
  return d;
}

// The pods as the pointer list the pure planners take.
inline std::vector<const config::Pod*> ptrs(const std::vector<config::Pod>& pods) {
  std::vector<const config::Pod*> out;
  for (const auto& p : pods) out.push_back(&p);
  return out;
}

}  // namespace skiff::controller::testing
