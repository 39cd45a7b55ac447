// The ServiceTable: an immutable snapshot of every Service with its ready endpoints, published
// by the controller after each sync and read by the proxy and DNS. Readers take the current
// shared_ptr and keep it as long as they need; publication swaps the pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

struct EndpointView {
  std::string ip;
  uint16_t port = 0;
  std::string pod_name;  // "" for user-applied endpoints without targetRef
  std::string hostname;  // Endpoints address hostname, if set
};

struct ServicePortView {
  std::string name;
  std::string protocol = "TCP";  // TCP, UDP
  uint16_t port = 0;
  uint16_t node_port = 0;               // 0 unless NodePort / LoadBalancer
  std::vector<EndpointView> endpoints;  // ready endpoints for this port, sorted by ip, port
};

struct AddressView {
  std::string ip;
  std::string hostname;
  std::string pod_name;
};

struct ServiceView {
  std::string ns;
  std::string name;
  std::string type;        // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;  // "" (ExternalName) or "None" (headless) or an address
  bool headless = false;
  std::vector<std::string> external_ips;
  std::string external_name;
  std::vector<std::string> load_balancer_ips;  // status.loadBalancer.ingress[].ip
  std::string session_affinity = "None";
  int session_affinity_timeout_seconds = 10800;
  config::StringMap annotations;
  std::vector<ServicePortView> ports;
  std::vector<AddressView> ready_addresses;  // distinct ready endpoint addresses (for DNS)
};

struct ServiceTable {
  uint64_t version = 0;               // grows with every publication
  std::vector<ServiceView> services;  // sorted by ns, then name

  const ServiceView* find(std::string_view ns, std::string_view name) const;
};

using ServiceTablePtr = std::shared_ptr<const ServiceTable>;

// Holds the current snapshot. publish() is called on the controller loop; current() from any
// thread. Subscribers are told of each publication on the publishing thread and must hand the
// work to their own threads (post) rather than do it inline.
class ServiceTableSource {
 public:
  ServiceTableSource();
  ServiceTablePtr current() const { return current_.load(std::memory_order_acquire); }
  void publish(ServiceTablePtr table);
  // Subscribing does not change the snapshot, so readers holding a const source may subscribe.
  void subscribe(std::function<void(const ServiceTablePtr&)> subscriber) const;

  // Published is not yet programmed: a data plane (the proxy) applies a snapshot on its own
  // threads a little later. A programmer registers, reports the version it serves from any
  // thread, and unregisters when it stops. programmed_version() is the oldest version any
  // registered programmer still serves (the current version when none is registered), so
  // "no traffic reaches this pod any more" is: not routed by current(), and
  // programmed_version() >= current()->version. Watchers hear of each report on the
  // reporting thread and must post.
  int add_programmer() const;
  void report_programmed(int programmer, uint64_t version) const;
  void remove_programmer(int programmer) const;
  uint64_t programmed_version() const;
  void watch_programmed(std::function<void()> watcher) const;

 private:
  std::atomic<ServiceTablePtr> current_;
  mutable std::mutex subscribers_mutex_;  // guards subscribers_ (subscribe may race a publish)
  mutable std::vector<std::function<void(const ServiceTablePtr&)>> subscribers_;
  mutable std::mutex programmed_mutex_;         // guards the three members below
  mutable std::map<int, uint64_t> programmed_;  // programmer id -> version it serves
  mutable int next_programmer_ = 1;
  mutable std::vector<std::function<void()>> programmed_watchers_;
};

}  // namespace skiff::controller
