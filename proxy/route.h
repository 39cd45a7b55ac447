// Route: where new connections of one listener go. A listener holds the route of the latest
// snapshot its worker applied; a session copies it, so the endpoints it was given stay valid for
// its whole life even after the snapshot is replaced.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "controller/service_table.h"
#include "proxy/balancer.h"

namespace skiff::proxy {

struct Route {
  // Aliases the snapshot: holding it keeps the whole ServiceTable alive, without a copy.
  std::shared_ptr<const controller::ServicePortView> port;
  std::shared_ptr<Balancer> balancer;  // shared by every listener and worker of this port
  std::string owner;                   // "default/web port 6000", for logs
  std::chrono::milliseconds connect_timeout{5000};
};

}  // namespace skiff::proxy
