// The proxy's metric families. Per Service port handles (PortMetrics) are resolved once when a
// snapshot is compiled and held by the route, so the connection path only increments sharded
// counters: no lookup, no lock. Without a registry the handles are private, unexported objects,
// so the hot path never tests for "metrics off".
//
//   skiff_proxy_connections_total{namespace,service,port,protocol}    TCP accepted + UDP flows
//   skiff_proxy_active_connections{namespace,service,port,protocol}   open now
//   skiff_proxy_refused_total{namespace,service,port,reason}          no_endpoint | limit |
//                                                                     connect_failed
//   skiff_proxy_connect_failures_total{namespace,service,port}        failed tries
//   skiff_proxy_retries_total{namespace,service,port}                 tries after the first
//   skiff_proxy_ejections_total{namespace,service,port}               endpoints ejected
//   skiff_proxy_bytes_total{namespace,service,port,direction}         to_endpoint | to_client
//   skiff_proxy_connect_duration_seconds{namespace,service,port}      accept to endpoint connected
//   skiff_proxy_udp_packets_total{namespace,service,port,direction}   to_endpoint | to_client
//   skiff_proxy_accept_errors_total{reason}                           emfile | other
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "metrics/counter.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"
#include "metrics/registry.h"

namespace skiff::proxy {

struct PortMetrics {
  std::shared_ptr<metrics::Counter> connections;
  std::shared_ptr<metrics::Gauge> active;
  std::shared_ptr<metrics::Counter> refused_no_endpoint;
  std::shared_ptr<metrics::Counter> refused_limit;
  std::shared_ptr<metrics::Counter> refused_connect_failed;
  std::shared_ptr<metrics::Counter> connect_failures;
  std::shared_ptr<metrics::Counter> retries;
  std::shared_ptr<metrics::Counter> ejections;
  std::shared_ptr<metrics::Counter> bytes_to_endpoint;
  std::shared_ptr<metrics::Counter> bytes_to_client;
  std::shared_ptr<metrics::Histogram> connect_duration;
  std::shared_ptr<metrics::Counter> udp_to_endpoint;
  std::shared_ptr<metrics::Counter> udp_to_client;
};

// Label values of one Service port: port is the port's name, or its number when unnamed.
struct PortLabels {
  std::string ns;
  std::string service;
  std::string port;
  std::string protocol;
  auto operator<=>(const PortLabels&) const = default;
};

class ProxyMetrics {
 public:
  // registry may be nullptr: handles are then live but exported nowhere.
  explicit ProxyMetrics(metrics::Registry* registry);

  std::shared_ptr<PortMetrics> port(const PortLabels& labels);
  // Stops exporting the series of a Service port that left the snapshot.
  void forget(const PortLabels& labels);

  metrics::Counter& accept_emfile() { return *accept_emfile_; }
  metrics::Counter& accept_other() { return *accept_other_; }

 private:
  struct Families;
  std::shared_ptr<Families> families_;  // null without a registry
  std::shared_ptr<metrics::Counter> accept_emfile_;
  std::shared_ptr<metrics::Counter> accept_other_;
};

}  // namespace skiff::proxy
