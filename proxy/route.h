// Route: everything a new connection (UDP flow) of one Service port needs, compiled once per
// snapshot and shared read-only by every worker: the endpoints with their parsed addresses and
// shared state, the Service's settings, its balancer, its connection limit and its metric
// handles. A session keeps the Route it started with, so what it was given stays valid for its
// whole life even after the snapshot is replaced.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <memory>
#include <string>
#include <vector>

#include "controller/service_table.h"
#include "proxy/annotations.h"
#include "proxy/balancer.h"
#include "proxy/endpoint_state.h"
#include "proxy/proxy_metrics.h"

namespace skiff::proxy {

// Concurrent TCP connections of one Service, over its ports and all workers.
struct ServiceLimit {
  std::atomic<int64_t> active{0};
};

struct Route {
  controller::ServiceTablePtr table;  // keeps the views below alive
  const controller::ServiceView* service = nullptr;
  const controller::ServicePortView* port = nullptr;
  std::string key;    // balancer_key(): "default/web 6000/TCP"
  std::string owner;  // "default/web port 6000", for logs
  ServiceSettings settings;
  std::shared_ptr<Balancer> balancer;  // shared by every listener and worker of this port
  // Aligned with port->endpoints. An address that does not parse is unspecified (never used).
  std::vector<boost::asio::ip::address> addresses;
  std::vector<std::shared_ptr<EndpointState>> states;
  std::vector<EndpointState*> state_ptrs;           // the balancer's view of states
  std::vector<const EndpointState*> sorted_states;  // for has_endpoint()
  std::shared_ptr<ServiceLimit> limit;
  std::shared_ptr<PortMetrics> metrics;

  // Whether this route still sends to the endpoint (same ip:port of the same Service port).
  bool has_endpoint(const EndpointState* state) const {
    return std::binary_search(sorted_states.begin(), sorted_states.end(), state);
  }
  std::size_t endpoint_count() const { return state_ptrs.size(); }
};

using RoutePtr = std::shared_ptr<const Route>;

}  // namespace skiff::proxy
