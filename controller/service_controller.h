// Services: allocates clusterIP/clusterIPs and node ports (service_allocation.h), publishes
// status.loadBalancer.ingress for LoadBalancer Services (the node address), and releases
// everything when a Service is deleted.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controller/service_allocation.h"
#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

struct ServiceControllerOptions {
  std::string service_cidr = "127.96.0.0/12";
  int node_port_min = 30000;
  int node_port_max = 32767;
  std::string node_address = "127.0.0.1";
};

class ServiceController {
 public:
  // Throws std::invalid_argument when service_cidr is not a usable IPv4 CIDR (a startup
  // configuration error, reported by the composition root).
  ServiceController(boost::asio::io_context& io, Store& store, ServiceControllerOptions options);
  ~ServiceController();
  ServiceController(const ServiceController&) = delete;
  ServiceController& operator=(const ServiceController&) = delete;

  // Claims what existing Services already hold, then watches Services and queues them all.
  void start();

 private:
  void reconcile(const ObjectKey& key);

  Store& store_;
  ServiceControllerOptions options_;
  ServiceAllocators allocators_;
  std::map<ObjectKey, ServiceAllocation> held_;
  WorkQueue<ObjectKey> queue_;
  std::vector<uint64_t> watches_;
};

}  // namespace skiff::controller
