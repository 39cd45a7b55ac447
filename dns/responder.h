// Responder: the embedded cluster DNS server. Answers the cluster zone from the latest
// ServiceTable snapshot over UDP and TCP on `address`:`port`, one io_context thread per worker.
// Clients outside `allowed_cidrs` get REFUSED. Other names are forwarded (when `forward`) to
// `upstreams`, or the servers of /etc/resolv.conf when that is empty, and cached; else REFUSED.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/status.h"
#include "controller/service_table.h"

namespace skiff::metrics {
class Registry;
}

namespace skiff::dns {

struct ResponderOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 5353;  // 0: an ephemeral port, the same number for UDP and TCP
  int workers = 1;
  std::string zone = "cluster.local";
  uint32_t ttl = 5;
  bool pod_records = true;
  std::vector<std::string> allowed_cidrs = {"127.0.0.0/8"};
  bool forward = true;
  std::vector<std::string> upstreams;  // "ip", "ip:port", "[ip6]:port"
  int upstream_timeout_ms = 2000;
  int tcp_idle_timeout_ms = 10000;
  metrics::Registry* metrics = nullptr;  // where the skiff_dns_* families go; null: nowhere
};

class Worker;
class ZoneSource;
class Answerer;
class DnsMetrics;
class CidrSet;
class Forwarder;

class Responder {
 public:
  // `source` must outlive the responder.
  Responder(const controller::ServiceTableSource& source, ResponderOptions options);
  ~Responder();  // stops
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Binds and starts serving. Returns "address:port" on success, or why it could not (bad
  // address or CIDR, port in use). Call once.
  config::Result<std::string> start();
  // Closes sockets and connections and joins the workers. Idempotent.
  void stop();
  uint16_t udp_port() const { return port_; }
  uint16_t tcp_port() const { return port_; }

 private:
  const controller::ServiceTableSource& source_;
  ResponderOptions options_;
  std::unique_ptr<DnsMetrics> metrics_;
  std::unique_ptr<ZoneSource> zones_;
  std::unique_ptr<Answerer> answerer_;
  std::unique_ptr<CidrSet> allowed_;
  // Destroyed after the workers have stopped (its completions post to their io_contexts) and
  // before they are destroyed.
  std::unique_ptr<Forwarder> forwarder_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
};

}  // namespace skiff::dns
