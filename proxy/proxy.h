// Proxy: the Service data plane. Listens on every address the ServiceTable snapshot asks for and
// relays each new TCP connection (UDP client flow) to one ready endpoint of its Service port,
// chosen by the Service's balancer (round-robin unless an annotation or sessionAffinity asks
// otherwise).
//
// Threads: `workers` io_context threads, each with its own SO_REUSEPORT acceptor per listener and
// its own sessions; they share only the compiled snapshot, and per Service port its balancer,
// endpoint states and counters (atomics).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controller/service_table.h"
#include "metrics/registry.h"

namespace skiff::proxy {

struct ProxyOptions {
  int workers = 1;                         // io_context threads (values < 1 mean 1)
  std::string node_address = "127.0.0.1";  // LoadBalancer and NodePort listen here
  // Daemon-wide defaults; each Service may override them with proxy.skiff.io/ annotations
  // (see annotations.h).
  std::chrono::milliseconds connect_timeout{5000};                // per endpoint try
  std::chrono::milliseconds idle_timeout{std::chrono::hours(1)};  // TCP, no bytes either way
  std::chrono::milliseconds udp_idle_timeout{30000};  // a UDP flow ends after this silence
  std::chrono::milliseconds drain_timeout{std::chrono::minutes(5)};  // after the endpoint left
  std::chrono::milliseconds max_connection_age{0};                   // 0: unlimited
  int64_t max_connections = 100000;                                  // per Service, all ports
  // Bind a probe socket without SO_REUSEPORT before first listening on an address:port, so
  // that another process (a second skiff) holding it is reported instead of silently shared.
  bool probe_ports = true;
  metrics::Registry* metrics = nullptr;  // nullptr: no metrics exported
};

class Proxy {
 public:
  // `source` must outlive start()..stop().
  Proxy(const controller::ServiceTableSource& source, ProxyOptions options);
  ~Proxy();  // stop()
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Starts the worker threads, applies source.current(), then follows publications. Once only;
  // a Proxy is not restarted after stop().
  void start();
  // Closes listeners and every session, joins threads; idempotent.
  void stop();
  // Listener failures of the latest applied snapshot, e.g.
  // "default/web port 6000: bind 127.0.0.1:6000: Address already in use". Sorted.
  std::vector<std::string> errors() const;
  // Addresses currently listened on, "TCP 127.0.0.1:6000" style, sorted.
  std::vector<std::string> listening() const;
  // Blocks until the snapshot with version >= v is applied by every worker; false on timeout.
  bool wait_applied(uint64_t version, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::proxy
