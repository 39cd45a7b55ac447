// The ClusterIP Service the DNS integration tests ask about: default/web, one named port
// (http 80 -> 8080) and one ready endpoint, web-a at 127.244.0.1.
#pragma once

#include <string>
#include <utility>

#include "controller/service_table.h"

namespace skiff::test {

inline controller::ServiceView web_service(std::string cluster_ip = "127.96.0.10") {
  controller::ServiceView s;
  s.ns = "default";
  s.name = "web";
  s.type = "ClusterIP";
  s.cluster_ip = std::move(cluster_ip);
  controller::ServicePortView http;
  http.name = "http";
  http.port = 80;
  http.endpoints = {{"127.244.0.1", 8080, "web-a", ""}};
  s.ports.push_back(http);
  s.ready_addresses = {{"127.244.0.1", "", "web-a"}};
  return s;
}

}  // namespace skiff::test
