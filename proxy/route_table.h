// RouteTable: a ServiceTable snapshot compiled for the proxy: the listener plan and one Route per
// Service port. RouteCompiler builds it once per snapshot for all workers (the first worker to
// apply a version compiles it, the others reuse it) and keeps what must outlive snapshots: the
// balancers, the endpoint states (connection counts, ejections), the per-Service connection
// counters and the metric handles, keyed by Service port and endpoint ip:port.
//
// It also guards port ownership: SO_REUSEPORT lets any process of the same user bind a port the
// proxy listens on and silently take half its connections. Before the workers first bind an
// address:port, the compiler binds a probe socket there WITHOUT SO_REUSEPORT; if that fails
// (another skiff daemon, or anything else, holds it) the listener is reported as
// "bind ADDRESS: Address already in use" and no worker binds it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "proxy/listener_plan.h"
#include "proxy/proxy_metrics.h"
#include "proxy/route.h"

namespace skiff::proxy {

struct RouteTable {
  uint64_t version = 0;
  controller::ServiceTablePtr table;
  ListenerPlan plan;                           // specs point into table
  std::map<std::string, RoutePtr> routes;      // by balancer_key()
  std::map<std::string, std::string> blocked;  // listener key -> error: the probe failed

  const RoutePtr* find(const std::string& key) const {
    auto it = routes.find(key);
    return it == routes.end() ? nullptr : &it->second;
  }
};

using RouteTablePtr = std::shared_ptr<const RouteTable>;

class RouteCompiler {
 public:
  // defaults: the daemon-wide settings that annotations override. metrics outlives this.
  RouteCompiler(ServiceSettings defaults, std::string node_address, ProxyMetrics& metrics,
                bool probe_ports = true);

  // The compiled form of `table`, or of a newer snapshot already compiled (a lagging worker
  // then catches up at once). Thread-safe; compiling holds a mutex, so it runs once per version.
  RouteTablePtr compile(const controller::ServiceTablePtr& table);

 private:
  struct PortState {
    ServiceSettings settings;
    std::shared_ptr<Balancer> balancer;
    std::map<std::string, std::weak_ptr<EndpointState>> endpoints;  // by "ip:port"
    std::shared_ptr<PortMetrics> metrics;
    PortLabels labels;
  };

  RoutePtr compile_port(const controller::ServiceTablePtr& table,
                        const controller::ServiceView& service,
                        const controller::ServicePortView& port, const ServiceSettings& settings);
  std::string probe(const ListenerSpec& spec) const;  // "" when free

  const ServiceSettings defaults_;
  const std::string node_address_;
  ProxyMetrics& metrics_;
  const bool probe_ports_;

  std::mutex mutex_;  // guards everything below
  RouteTablePtr last_;
  std::map<std::string, PortState> ports_;                     // by balancer_key()
  std::map<std::string, std::weak_ptr<ServiceLimit>> limits_;  // by "ns/name"
  std::set<std::string> claimed_;  // listener keys our workers hold (probed or kept)
  uint64_t next_endpoint_id_ = 1;
};

// The balancer a Service's settings ask for.
std::shared_ptr<Balancer> make_balancer(const ServiceSettings& settings);

}  // namespace skiff::proxy
