#include "proxy/proxy_metrics.h"

namespace skiff::proxy {

namespace {

// Connect latency on loopback is tens of microseconds; a slow pod may take seconds.
std::vector<double> connect_buckets() {
  return metrics::exponential_buckets(0.00005, 4, 10);  // 50 µs .. ~13 s
}

}  // namespace

struct ProxyMetrics::Families {
  explicit Families(metrics::Registry& r)
      : connections(r.counter("skiff_proxy_connections_total",
                              "TCP connections accepted and UDP flows created.",
                              {"namespace", "service", "port", "protocol"})),
        active(r.gauge("skiff_proxy_active_connections", "TCP sessions and UDP flows open now.",
                       {"namespace", "service", "port", "protocol"})),
        refused(r.counter("skiff_proxy_refused_total",
                          "Connections refused: no ready endpoint, over the Service's "
                          "connection limit, or every endpoint try failed.",
                          {"namespace", "service", "port", "reason"})),
        connect_failures(r.counter("skiff_proxy_connect_failures_total",
                                   "Endpoint connect tries that failed (refused or timed out).",
                                   {"namespace", "service", "port"})),
        retries(r.counter("skiff_proxy_retries_total",
                          "Connect tries after the first for one client connection.",
                          {"namespace", "service", "port"})),
        ejections(r.counter("skiff_proxy_ejections_total",
                            "Endpoints ejected for a back-off after a failed connect.",
                            {"namespace", "service", "port"})),
        bytes(r.counter("skiff_proxy_bytes_total", "Bytes relayed over TCP.",
                        {"namespace", "service", "port", "direction"})),
        connect_duration(r.histogram("skiff_proxy_connect_duration_seconds",
                                     "Time from accepting a client to its endpoint connected.",
                                     {"namespace", "service", "port"}, connect_buckets())),
        udp_packets(r.counter("skiff_proxy_udp_packets_total", "UDP datagrams relayed.",
                              {"namespace", "service", "port", "direction"})),
        accept_errors(r.counter("skiff_proxy_accept_errors_total",
                                "accept() failures; emfile pauses accepting briefly.",
                                {"reason"})) {}

  metrics::CounterFamily& connections;
  metrics::GaugeFamily& active;
  metrics::CounterFamily& refused;
  metrics::CounterFamily& connect_failures;
  metrics::CounterFamily& retries;
  metrics::CounterFamily& ejections;
  metrics::CounterFamily& bytes;
  metrics::HistogramFamily& connect_duration;
  metrics::CounterFamily& udp_packets;
  metrics::CounterFamily& accept_errors;
};

ProxyMetrics::ProxyMetrics(metrics::Registry* registry) {
  if (registry) {
    families_ = std::make_shared<Families>(*registry);
    accept_emfile_ = families_->accept_errors.share({"emfile"});
    accept_other_ = families_->accept_errors.share({"other"});
  } else {
    accept_emfile_ = std::make_shared<metrics::Counter>();
    accept_other_ = std::make_shared<metrics::Counter>();
  }
}

std::shared_ptr<PortMetrics> ProxyMetrics::port(const PortLabels& l) {
  auto m = std::make_shared<PortMetrics>();
  if (!families_) {
    auto c = [] { return std::make_shared<metrics::Counter>(); };
    *m = PortMetrics{c(),
                     std::make_shared<metrics::Gauge>(),
                     c(),
                     c(),
                     c(),
                     c(),
                     c(),
                     c(),
                     c(),
                     c(),
                     std::make_shared<metrics::Histogram>(connect_buckets()),
                     c(),
                     c()};
    return m;
  }
  Families& f = *families_;
  const std::vector<std::string> base{l.ns, l.service, l.port};
  auto with = [&](std::string extra) {
    auto v = base;
    v.push_back(std::move(extra));
    return v;
  };
  m->connections = f.connections.share(with(l.protocol));
  m->active = f.active.share(with(l.protocol));
  m->refused_no_endpoint = f.refused.share(with("no_endpoint"));
  m->refused_limit = f.refused.share(with("limit"));
  m->refused_connect_failed = f.refused.share(with("connect_failed"));
  m->connect_failures = f.connect_failures.share(base);
  m->retries = f.retries.share(base);
  m->ejections = f.ejections.share(base);
  m->bytes_to_endpoint = f.bytes.share(with("to_endpoint"));
  m->bytes_to_client = f.bytes.share(with("to_client"));
  m->connect_duration = f.connect_duration.share(base);
  m->udp_to_endpoint = f.udp_packets.share(with("to_endpoint"));
  m->udp_to_client = f.udp_packets.share(with("to_client"));
  return m;
}

void ProxyMetrics::forget(const PortLabels& l) {
  if (!families_) return;
  Families& f = *families_;
  const std::vector<std::string> base{l.ns, l.service, l.port};
  auto with = [&](std::string extra) {
    auto v = base;
    v.push_back(std::move(extra));
    return v;
  };
  f.connections.remove(with(l.protocol));
  f.active.remove(with(l.protocol));
  for (const char* reason : {"no_endpoint", "limit", "connect_failed"})
    f.refused.remove(with(reason));
  f.connect_failures.remove(base);
  f.retries.remove(base);
  f.ejections.remove(base);
  f.bytes.remove(with("to_endpoint"));
  f.bytes.remove(with("to_client"));
  f.connect_duration.remove(base);
  f.udp_packets.remove(with("to_endpoint"));
  f.udp_packets.remove(with("to_client"));
}

}  // namespace skiff::proxy
