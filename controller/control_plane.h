// The control plane: the store's reconcilers (Deployment -> ReplicaSet -> Pods, Services'
// IPs and node ports, Endpoints, owner-reference garbage collection), the kubelet, and the
// sync that publishes the ServiceTable. Everything runs on one io_context (the controller
// loop); the API server runs on the same loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "controller/engine/engine.h"
#include "controller/kubelet.h"
#include "controller/service_table.h"
#include "controller/store.h"
#include "metrics/registry.h"

namespace skiff::controller {

struct ControlPlaneOptions {
  KubeletOptions kubelet;
  std::string service_cidr = "127.96.0.0/12";
  int node_port_min = 30000;
  int node_port_max = 32767;
  std::string node_address = "127.0.0.1";          // LoadBalancer ingress and NodePort address
  std::chrono::milliseconds min_sync_interval{0};  // rate limit of ServiceTable syncs
  metrics::Registry* metrics = nullptr;  // controller families (controller_metrics.h); null: none
  // The Node published at start (node_status.h), which the scheduler places pods on; none:
  // no node, and every unbound pod stays Pending.
  std::optional<config::Node> node;
  std::chrono::milliseconds scheduler_retry{60000};  // retry of unschedulable pods
};

class ControlPlane {
 public:
  ControlPlane(boost::asio::io_context& io, Store& store, engine::Engine& engine,
               ServiceTableSource& table, ControlPlaneOptions options);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  void start();
  // Stops every pod (graceful) and calls done when all have exited.
  void shutdown(std::function<void()> done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::controller
