#include "controller/control_plane.h"

#include "controller/deployment_controller.h"
#include "controller/endpoints_controller.h"
#include "controller/garbage_collector.h"
#include "controller/replica_set_controller.h"
#include "controller/service_controller.h"
#include "controller/service_table_sync.h"

namespace skiff::controller {

class ControlPlane::Impl {
 public:
  Impl(boost::asio::io_context& io, Store& store, engine::Engine& engine, ServiceTableSource& table,
       ControlPlaneOptions options)
      : services_(io, store,
                  ServiceControllerOptions{options.service_cidr, options.node_port_min,
                                           options.node_port_max, options.node_address}),
        endpoints_(io, store),
        replica_sets_(io, store),
        deployments_(io, store),
        gc_(io, store),
        sync_(io, store, table, options.min_sync_interval),
        kubelet_(io, store, engine, table, options.kubelet) {}

  void start() {
    // Allocation first, so the first Endpoints and table sync already see cluster IPs; the
    // kubelet last, once everything that reacts to pod changes is watching.
    services_.start();
    endpoints_.start();
    sync_.start();
    gc_.start();
    deployments_.start();
    replica_sets_.start();
    kubelet_.start();
  }

  void shutdown(std::function<void()> done) { kubelet_.shutdown(std::move(done)); }

 private:
  ServiceController services_;
  EndpointsController endpoints_;
  ReplicaSetController replica_sets_;
  DeploymentController deployments_;
  GarbageCollector gc_;
  ServiceTableSync sync_;
  Kubelet kubelet_;
};

ControlPlane::ControlPlane(boost::asio::io_context& io, Store& store, engine::Engine& engine,
                           ServiceTableSource& table, ControlPlaneOptions options)
    : impl_(std::make_unique<Impl>(io, store, engine, table, std::move(options))) {}

ControlPlane::~ControlPlane() = default;

void ControlPlane::start() { impl_->start(); }

void ControlPlane::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

}  // namespace skiff::controller
