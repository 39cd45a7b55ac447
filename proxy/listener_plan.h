// The listener plan: which addresses the proxy must listen on for a ServiceTable snapshot. Pure
// (no sockets), so the rules for ClusterIP, NodePort, LoadBalancer, externalIPs, headless and
// ExternalName Services are unit-tested without binding anything.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/service_table.h"

namespace skiff::proxy {

struct ListenerSpec {
  std::string protocol;  // "TCP" or "UDP"
  boost::asio::ip::address address;
  uint16_t port = 0;
  // Point into the table the plan was made from; the caller keeps that table alive.
  const controller::ServiceView* service = nullptr;
  const controller::ServicePortView* service_port = nullptr;

  // Identity of the socket: "TCP 127.0.0.1:6000" ("TCP [::1]:6000" for IPv6). A listener whose
  // key stays from one snapshot to the next stays bound.
  std::string key() const;
  // Who asked for it, for messages: "default/web port 6000".
  std::string owner() const;
};

struct ListenerPlan {
  std::vector<ListenerSpec> listeners;  // sorted by key(), keys unique
  std::vector<std::string> errors;      // ports that get no listener, and why
};

// Listeners for every Service port: cluster_ip:port when cluster_ip is an address (none for
// headless or ExternalName); node_address:port and each load_balancer_ips entry:port for
// LoadBalancer; node_address:node_port when node_port != 0; each external_ips entry:port.
// When two Services claim one address the first in table order keeps it and the other gets an
// error; the same Service port asking twice for one address is not an error.
ListenerPlan plan_listeners(const controller::ServiceTable& table, std::string_view node_address);

// The key of the balancer shared by all listeners and workers of one Service port:
// "default/web 6000/TCP".
std::string balancer_key(const controller::ServiceView& service,
                         const controller::ServicePortView& port);

}  // namespace skiff::proxy
