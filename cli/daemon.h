// The daemon: the composition root that wires the store, control plane, engine, proxy and API
// on their threads, applies manifests (for `up`), and shuts everything down in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::cli {

struct DaemonOptions {
  std::string api_address = "127.0.0.1";
  uint16_t api_port = 8080;
  std::filesystem::path state_dir;
  std::string engine = "process";
  std::string node_address = "127.0.0.1";
  std::string pod_cidr = "127.244.0.0/16";
  std::string service_cidr = "127.96.0.0/12";
  int proxy_workers = 0;  // 0: one per core
  std::chrono::milliseconds restart_backoff_base{10000};
  std::string dns_address = "127.0.0.1:5353";  // "" turns the DNS responder off
  std::vector<std::string> dns_upstreams;      // empty: /etc/resolv.conf
  std::string cluster_domain = "cluster.local";
  uint32_t dns_ttl = 5;         // seconds, answers and negative caching of the cluster zone
  bool dns_pod_records = true;  // <a-b-c-d>.<ns>.pod.<zone> (CoreDNS "pods insecure")
  int dns_workers = 1;          // DNS threads, each with its own SO_REUSEPORT sockets
  // The Node's capacity overrides ("": the machine's), reserve and pod limit (node_status.h).
  std::string node_cpu;
  std::string node_memory;
  std::string system_reserved = "cpu=100m,memory=256Mi";
  int max_pods = 110;
};

// Runs until SIGINT/SIGTERM; `apply` objects are created once the daemon is up, and each
// applied Service's address is printed once its endpoints are ready. Returns the exit code.
int run_daemon(const DaemonOptions& options, std::vector<config::Object> apply);

inline constexpr const char* kVersion = "0.1.0";

// Default state directory: /var/lib/skiff for root, else $XDG_STATE_HOME/skiff or
// ~/.local/state/skiff.
std::filesystem::path default_state_dir();

}  // namespace skiff::cli
