// A Proxy fed by its own ServiceTableSource: tests publish ServiceViews as the next snapshot and
// wait until every worker serves it. Ports 24000-24099 belong to this folder's tests: below the
// ephemeral range (32768-60999), so no client socket of a concurrent run can hold them.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metrics/registry.h"
#include "proxy/proxy.h"
#include "test_net.h"

namespace skiff::proxy::test {

using namespace std::chrono_literals;

// Addresses chosen away from what the daemon's allocators hand out, so tests of other folders
// running at the same time do not collide with these listeners.
constexpr const char* kClusterIp = "127.96.200.10";
constexpr const char* kNode = "127.0.0.1";

inline std::vector<controller::EndpointView> endpoints_of(
    const std::vector<const Backend*>& backends) {
  std::vector<controller::EndpointView> out;
  for (const Backend* b : backends) out.push_back({"127.0.0.1", b->port(), b->name(), ""});
  return out;
}

inline controller::ServiceView load_balancer(uint16_t port,
                                             std::vector<controller::EndpointView> endpoints,
                                             std::map<std::string, std::string> annotations = {}) {
  controller::ServiceView s;
  s.ns = "default";
  s.name = "web";
  s.type = "LoadBalancer";
  s.cluster_ip = kClusterIp;
  s.annotations = std::move(annotations);
  controller::ServicePortView p;
  p.port = port;
  p.endpoints = std::move(endpoints);
  s.ports.push_back(std::move(p));
  return s;
}

inline ProxyOptions test_options(int workers = 1) {
  ProxyOptions o;
  o.workers = workers;
  o.node_address = kNode;
  o.connect_timeout = 1000ms;
  o.udp_idle_timeout = 300ms;
  return o;
}

class Harness {
 public:
  explicit Harness(int workers = 1) : Harness(test_options(workers)) {}
  explicit Harness(ProxyOptions options) : proxy_(source_, with_registry(options)) {
    proxy_.start();
  }

  void publish(std::vector<controller::ServiceView> services) {
    auto table = std::make_shared<controller::ServiceTable>();
    table->version = ++version_;
    table->services = std::move(services);
    source_.publish(table);
    REQUIRE(proxy_.wait_applied(version_, 5s));
  }

  Proxy& proxy() { return proxy_; }

  // The value of one series of the proxy's metrics (0 if absent).
  double metric(const std::string& family, const std::vector<std::string>& labels) const {
    for (const auto& f : registry_.collect()) {
      if (f.name != family) continue;
      for (const auto& child : f.children) {
        if (child.label_values == labels) return child.value;
      }
    }
    return 0;
  }

 private:
  ProxyOptions with_registry(ProxyOptions options) {
    options.metrics = &registry_;
    return options;
  }

  metrics::Registry registry_;
  controller::ServiceTableSource source_;
  Proxy proxy_;
  uint64_t version_ = 0;
};

// The name a kName backend answers with through the proxy.
inline std::string ask(const std::string& ip, uint16_t port) {
  Fd fd = connect_to(ip, port);
  if (!fd.valid()) return "connect failed: " + std::string(std::strerror(errno));
  auto r = read_all(fd.get());
  return r.eof ? r.data : "error: " + std::string(std::strerror(r.error));
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

}  // namespace skiff::proxy::test
