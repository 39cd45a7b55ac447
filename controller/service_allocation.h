// Allocation of Service cluster IPs and node ports. Pure: no store, no I/O; the Service
// controller owns one ServiceAllocators and applies what assign_service_addresses decides.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

// IPv4 addresses of a CIDR range, without its network and broadcast addresses. Allocation
// rotates through the range (a released address is handed out again only after the others),
// so a stale DNS answer or proxy rule rarely points at a recycled address.
class Ipv4RangeAllocator {
 public:
  // nullopt when cidr is not "a.b.c.d/len" with len in 1..30.
  static std::optional<Ipv4RangeAllocator> from_cidr(std::string_view cidr);

  bool contains(std::string_view ip) const;
  bool in_use(std::string_view ip) const;
  // The next free address; nullopt when the range is exhausted.
  std::optional<std::string> allocate();
  // Takes a specific address; false when it is unparseable, outside the range or in use.
  bool claim(std::string_view ip);
  void release(std::string_view ip);
  size_t used() const { return used_.size(); }

 private:
  Ipv4RangeAllocator(uint32_t first, uint32_t last) : first_(first), last_(last), next_(first) {}
  uint32_t first_;
  uint32_t last_;
  uint32_t next_;
  std::set<uint32_t> used_;
};

// Ports of [min, max], rotating as Ipv4RangeAllocator does.
class PortRangeAllocator {
 public:
  PortRangeAllocator(int min, int max) : min_(min), max_(max), next_(min) {}
  bool contains(int port) const { return port >= min_ && port <= max_; }
  bool in_use(int port) const { return used_.count(port) != 0; }
  std::optional<int> allocate();
  bool claim(int port);
  void release(int port);
  size_t used() const { return used_.size(); }

 private:
  int min_;
  int max_;
  int next_;
  std::set<int> used_;
};

struct ServiceAllocators {
  Ipv4RangeAllocator cluster_ips;
  PortRangeAllocator node_ports;
};

// What one Service holds from the allocators, so that a later pass releases exactly that.
struct ServiceAllocation {
  std::string cluster_ip;  // "" when it holds none (headless, ExternalName, exhausted)
  std::vector<int> node_ports;
  bool operator==(const ServiceAllocation&) const = default;
};

struct ServiceAssignment {
  config::ServiceSpec spec;  // the input spec with clusterIP(s) and nodePorts filled in
  ServiceAllocation held;
  std::vector<std::string> warnings;  // refused requests and exhaustion, for the log
};

// Fills in spec.clusterIP/clusterIPs (empty: allocate; "None": headless; an address: honoured
// when free and in range) and the nodePorts of NodePort/LoadBalancer Services (0: allocate;
// requested: honoured when free and in range); clears nodePorts of other types. A request
// that cannot be honoured (in use by another Service, outside the range) is never
// double-allocated: it is replaced by a free value and reported in warnings. `held` is what
// this Service held before; values it no longer uses are released.
ServiceAssignment assign_service_addresses(const config::ServiceSpec& spec,
                                           const ServiceAllocation& held,
                                           ServiceAllocators& allocators);

// Claims the values a stored Service already has (when free and in range) without allocating
// anything: the first pass after a restart, so that no new allocation takes an address an
// existing Service holds.
ServiceAllocation claim_service_addresses(const config::ServiceSpec& spec,
                                          ServiceAllocators& allocators);

// Gives back everything `held` holds (the Service was deleted).
void release_service_addresses(const ServiceAllocation& held, ServiceAllocators& allocators);

// Keeps allocated values that an update omits: a re-apply sends clusterIP "" and nodePort 0,
// which must not lose the address and ports the Service already has (as the Kubernetes
// registry does). Ports match by (port, protocol).
void preserve_service_allocations(const config::ServiceSpec& stored, config::ServiceSpec& next);

}  // namespace skiff::controller
