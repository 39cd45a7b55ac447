#include "proxy/route_table.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "net/port_probe.h"
#include "proxy/least_connections.h"
#include "proxy/power_of_two.h"
#include "proxy/round_robin.h"
#include "proxy/session_affinity.h"

namespace skiff::proxy {

namespace asio = boost::asio;

std::shared_ptr<Balancer> make_balancer(const ServiceSettings& settings) {
  std::unique_ptr<Balancer> policy;
  switch (settings.policy) {
    case BalancePolicy::kRoundRobin:
      policy = std::make_unique<RoundRobin>();
      break;
    case BalancePolicy::kLeastConnections:
      policy = std::make_unique<LeastConnections>();
      break;
    case BalancePolicy::kPowerOfTwoChoices:
      policy = std::make_unique<PowerOfTwoChoices>();
      break;
  }
  if (!settings.client_ip_affinity) return std::shared_ptr<Balancer>(std::move(policy));
  const int64_t timeout_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(settings.affinity_timeout).count();
  return std::make_shared<SessionAffinity>(std::move(policy), timeout_ns);
}

RouteCompiler::RouteCompiler(ServiceSettings defaults, std::string node_address,
                             ProxyMetrics& metrics, bool probe_ports)
    : defaults_(std::move(defaults)),
      node_address_(std::move(node_address)),
      metrics_(metrics),
      probe_ports_(probe_ports) {}

std::string RouteCompiler::probe(const ListenerSpec& spec) const {
  return net::probe_exclusive_bind(
      spec.address, spec.port,
      spec.protocol == "UDP" ? net::Transport::kUdp : net::Transport::kTcp);
}

RoutePtr RouteCompiler::compile_port(const controller::ServiceTablePtr& table,
                                     const controller::ServiceView& service,
                                     const controller::ServicePortView& port,
                                     const ServiceSettings& settings) {
  auto route = std::make_shared<Route>();
  route->table = table;
  route->service = &service;
  route->port = &port;
  route->key = balancer_key(service, port);
  route->owner = fmt::format("{}/{} port {}", service.ns, service.name, port.port);
  route->settings = settings;

  PortState& state = ports_[route->key];
  if (!state.balancer || !(state.settings.policy == settings.policy &&
                           state.settings.client_ip_affinity == settings.client_ip_affinity &&
                           state.settings.affinity_timeout == settings.affinity_timeout)) {
    state.balancer = make_balancer(settings);
  }
  state.settings = settings;
  PortLabels labels{service.ns, service.name,
                    port.name.empty() ? std::to_string(port.port) : port.name, port.protocol};
  if (!state.metrics || state.labels != labels) {
    if (state.metrics) metrics_.forget(state.labels);
    state.metrics = metrics_.port(labels);
    state.labels = labels;
  }
  route->balancer = state.balancer;
  route->metrics = state.metrics;

  std::map<std::string, std::weak_ptr<EndpointState>> endpoints;
  for (const auto& endpoint : port.endpoints) {
    const std::string id = fmt::format("{}:{}", endpoint.ip, endpoint.port);
    std::shared_ptr<EndpointState> shared;
    if (auto it = state.endpoints.find(id); it != state.endpoints.end()) shared = it->second.lock();
    if (!shared) shared = std::make_shared<EndpointState>(next_endpoint_id_++);
    endpoints[id] = shared;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(endpoint.ip, ec);
    route->addresses.push_back(ec ? asio::ip::address() : address);
    route->state_ptrs.push_back(shared.get());
    route->sorted_states.push_back(shared.get());
    route->states.push_back(std::move(shared));
  }
  // Endpoints that left stay known while a draining session holds them (weak entries), so a
  // pod that comes back at once keeps its connection count.
  for (auto& [id, weak] : state.endpoints) {
    if (!endpoints.count(id) && !weak.expired()) endpoints.emplace(id, weak);
  }
  state.endpoints = std::move(endpoints);
  std::sort(route->sorted_states.begin(), route->sorted_states.end());

  const std::string service_key = service.ns + "/" + service.name;
  auto& limit = limits_[service_key];
  route->limit = limit.lock();
  if (!route->limit) {
    route->limit = std::make_shared<ServiceLimit>();
    limit = route->limit;
  }
  return route;
}

RouteTablePtr RouteCompiler::compile(const controller::ServiceTablePtr& table) {
  std::lock_guard lock(mutex_);
  if (last_ && (!table || last_->version >= table->version)) return last_;
  if (!table) return nullptr;

  auto compiled = std::make_shared<RouteTable>();
  compiled->version = table->version;
  compiled->table = table;
  compiled->plan = plan_listeners(*table, node_address_);

  std::vector<std::string> warnings;
  for (const auto& service : table->services) {
    if (service.type == "ExternalName") continue;
    const ServiceSettings settings = parse_service_settings(service, defaults_, warnings);
    for (const auto& port : service.ports) {
      RoutePtr route = compile_port(table, service, port, settings);
      compiled->routes.emplace(route->key, std::move(route));
    }
  }
  for (const auto& warning : warnings) spdlog::warn("proxy: {}", warning);

  // Service ports that left: their series go, their balancers and endpoint states with them.
  for (auto it = ports_.begin(); it != ports_.end();) {
    if (compiled->routes.count(it->first)) {
      ++it;
      continue;
    }
    metrics_.forget(it->second.labels);
    it = ports_.erase(it);
  }
  std::erase_if(limits_, [](const auto& entry) { return entry.second.expired(); });

  std::set<std::string> claimed;
  for (const ListenerSpec& spec : compiled->plan.listeners) {
    const std::string key = spec.key();
    if (probe_ports_ && !claimed_.count(key)) {
      std::string error = probe(spec);
      if (!error.empty()) {
        compiled->blocked.emplace(key, std::move(error));
        continue;
      }
    }
    claimed.insert(key);
  }
  claimed_ = std::move(claimed);
  last_ = compiled;
  return compiled;
}

}  // namespace skiff::proxy
