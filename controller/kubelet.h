// The kubelet: runs the Pods bound to this node on the container engine and reports their
// status. It turns each pod's spec into containers (image config + command/args + env with
// $(VAR) expansion), restarts exited containers per restartPolicy with kubelet's back-off
// (10 s doubling to 5 min, CrashLoopBackOff), runs readiness probes (or, without one, marks a
// container ready once its declared TCP containerPorts accept connections), and carries out
// graceful deletion: a pod with deletionTimestamp is stopped (SIGTERM, SIGKILL after the grace
// period) and then removed from the store.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "controller/engine/engine.h"
#include "controller/service_table.h"
#include "controller/store.h"

namespace skiff::controller {

class EventRecorder;

struct KubeletOptions {
  std::string node_name = "skiff";
  std::string node_ip = "127.0.0.1";
  std::chrono::milliseconds backoff_base{10000};       // kubelet's 10 s; tests lower it
  std::chrono::milliseconds backoff_max{300000};       // 5 min
  std::chrono::milliseconds port_check_period{200};    // readiness without a probe
  std::chrono::milliseconds unpublish_wait_max{2000};  // bound on waiting for the snapshot
  EventRecorder* events = nullptr;  // Scheduled, Started, Killing, BackOff...; null: none
  // Standalone (no scheduler): unbound pods are bound to this node as they come, with no
  // resource check. The control plane runs the scheduler (scheduler.h) and turns this off.
  bool bind_unscheduled = true;
  // Where pod volumes live (STATE_DIR/pods/<uid>/volumes); empty: pods with volumes fail
  // with a FailedMount event.
  std::filesystem::path state_dir;
};

class Kubelet {
 public:
  // `table` is read on deletion: a terminating pod's containers get SIGTERM only once the
  // published ServiceTable no longer routes to the pod (bounded wait), so no new connection
  // reaches a process that is shutting down.
  Kubelet(boost::asio::io_context& io, Store& store, engine::Engine& engine,
          const ServiceTableSource& table, KubeletOptions options);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Watches pods and starts working on those bound to this node.
  void start();
  // Stops every pod's containers (graceful, bounded by each pod's grace period) and calls
  // done once all have exited. Pods stay in the store.
  void shutdown(std::function<void()> done);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::controller
