#include "controller/control_plane.h"

#include <spdlog/spdlog.h>

#include "controller/controller_metrics.h"
#include "controller/deployment_controller.h"
#include "controller/endpoints_controller.h"
#include "controller/event_recorder.h"
#include "controller/garbage_collector.h"
#include "controller/node_status.h"
#include "controller/replica_set_controller.h"
#include "controller/scheduler.h"
#include "controller/service_controller.h"
#include "controller/service_table_sync.h"

namespace skiff::controller {

class ControlPlane::Impl {
 public:
  Impl(boost::asio::io_context& io, Store& store, engine::Engine& engine, ServiceTableSource& table,
       ControlPlaneOptions options)
      : events_(io, store, EventRecorderOptions{.host = options.kubelet.node_name}),
        services_(io, store,
                  ServiceControllerOptions{options.service_cidr, options.node_port_min,
                                           options.node_port_max, options.node_address}),
        endpoints_(io, store),
        replica_sets_(io, store, std::chrono::system_clock::now, &events_),
        deployments_(io, store, nullptr, &events_),
        gc_(io, store),
        sync_(io, store, table, options.min_sync_interval),
        scheduler_(io, store,
                   SchedulerOptions{options.kubelet.node_name, options.scheduler_retry, &events_}),
        store_(store),
        node_(options.node),
        kubelet_(io, store, engine, table, with_events(options.kubelet, &events_)) {
    if (options.metrics) {
      metrics_ = std::make_unique<ControllerMetrics>(io, store, table, *options.metrics);
      sync_.set_sync_observer([m = metrics_.get()](std::chrono::steady_clock::duration took) {
        m->observe_sync(took);
      });
    }
  }

  void start() {
    // Allocation first, so the first Endpoints and table sync already see cluster IPs; the
    // kubelet last, once everything that reacts to pod changes is watching. Metrics first, so
    // they see every reconcile and pod transition.
    if (metrics_) metrics_->start();
    events_.start();
    services_.start();
    endpoints_.start();
    sync_.start();
    gc_.start();
    deployments_.start();
    replica_sets_.start();
    if (node_) {
      if (auto r = publish_node(store_, *node_); !r) {
        spdlog::error("node {}: {}", node_->metadata.name, r.error().message);
      }
    }
    scheduler_.start();
    kubelet_.start();
  }

  void shutdown(std::function<void()> done) { kubelet_.shutdown(std::move(done)); }

 private:
  static KubeletOptions with_events(KubeletOptions o, EventRecorder* events) {
    o.events = events;
    o.bind_unscheduled = false;  // the scheduler binds
    return o;
  }

  EventRecorder events_;  // first: every controller and the kubelet record through it
  ServiceController services_;
  EndpointsController endpoints_;
  ReplicaSetController replica_sets_;
  DeploymentController deployments_;
  GarbageCollector gc_;
  ServiceTableSync sync_;
  Scheduler scheduler_;
  Store& store_;
  std::optional<config::Node> node_;
  Kubelet kubelet_;
  std::unique_ptr<ControllerMetrics> metrics_;  // destroyed first: it watches the store
};

ControlPlane::ControlPlane(boost::asio::io_context& io, Store& store, engine::Engine& engine,
                           ServiceTableSource& table, ControlPlaneOptions options)
    : impl_(std::make_unique<Impl>(io, store, engine, table, std::move(options))) {}

ControlPlane::~ControlPlane() = default;

void ControlPlane::start() { impl_->start(); }

void ControlPlane::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

}  // namespace skiff::controller
