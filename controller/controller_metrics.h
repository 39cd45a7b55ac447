// The controller's metric families: reconciles per controller (through the WorkQueue
// observer), pod lifecycle counters derived from pod status transitions seen through a store
// watch, object counts, the ServiceTable sync duration, and network programming latency from
// a pod turning Ready to the proxy serving a snapshot that routes to it (kube-proxy's
// sync_proxy_rules_duration_seconds and network_programming_duration_seconds).
//
//   skiff_controller_reconciles_total{controller}                  counter
//   skiff_controller_reconcile_duration_seconds{controller}        histogram
//   skiff_controller_workqueue_adds_total{controller}              counter
//   skiff_controller_workqueue_depth{controller}                   gauge
//   skiff_controller_objects{kind}                                 gauge
//   skiff_controller_pod_starts_total{namespace}                   counter
//   skiff_controller_container_starts_total{namespace}             counter
//   skiff_controller_container_restarts_total{namespace}           counter
//   skiff_controller_pod_failures_total{namespace,reason}          counter
//   skiff_controller_service_table_sync_duration_seconds           histogram
//   skiff_controller_service_table_last_published_timestamp_seconds  gauge
//   skiff_controller_network_programming_duration_seconds          histogram
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/objects.h"
#include "controller/service_table.h"
#include "controller/store.h"
#include "metrics/registry.h"

namespace skiff::controller {

// What one pod status change means for the lifecycle counters. Pure.
struct PodTransition {
  bool started = false;               // phase entered Running from Pending (the pod's first start)
  int container_starts = 0;           // containers whose state became running (a new run)
  int restarts = 0;                   // restartCount increments, summed over containers
  std::vector<std::string> failures;  // reasons newly entered; see kPodFailureReasons
  bool became_ready = false;          // Ready condition turned "True"
  bool became_unready = false;        // Ready condition left "True"
};

// The failure reasons counted (a bounded label set): "PodFailed" for phase Failed, and the
// container waiting reasons of a pod that cannot run. Other waiting reasons
// (ContainerCreating, PodInitializing) are not failures.
inline constexpr const char* kPodFailureReasons[] = {
    "PodFailed",         "CrashLoopBackOff", "ErrImagePull",         "ImagePullBackOff",
    "ErrImageNeverPull", "InvalidImageName", "CreateContainerError", "CreateContainerConfigError",
    "RunContainerError",
};

// previous: the pod before the change (a pod first seen has no transition: adopted and
// restored pods are not counted again).
PodTransition pod_transition(const config::Pod& previous, const config::Pod& current);

// Whether the table routes some Service port to this pod (an endpoint with its pod name).
bool routes_to(const ServiceTable& table, const std::string& ns, const std::string& pod_name);

// Network programming latency, kept on the controller loop: a pod that turned Ready is
// pending until a published ServiceTable routes to it, then awaits that table's version being
// programmed. Pure: times are given. Bounded: at most kMaxTracked pods; pending pods that no
// Service selects expire after kPendingTimeout.
class ProgrammingLatencyTracker {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxTracked = 4096;
  static constexpr std::chrono::minutes kPendingTimeout{10};

  void ready(const std::string& ns, const std::string& name, Clock::time_point at);
  // The pod left Ready or was deleted before it was routed: nothing to measure.
  void gone(const std::string& ns, const std::string& name);
  // A table was published: pending pods it routes to now await its version.
  void published(const ServiceTable& table, Clock::time_point now);
  // Every awaiting pod whose version is <= programmed_version is done: returns their
  // latencies (now - ready time).
  std::vector<Clock::duration> programmed(std::uint64_t programmed_version, Clock::time_point now);

  std::size_t pending() const { return pending_.size(); }
  std::size_t awaiting() const { return awaiting_count_; }

 private:
  using PodKey = std::pair<std::string, std::string>;
  void expire(Clock::time_point now);

  std::map<PodKey, Clock::time_point> pending_;
  // version -> (pod, ready time); a pod is in at most one of pending_ and awaiting_.
  std::multimap<std::uint64_t, std::pair<PodKey, Clock::time_point>> awaiting_;
  std::size_t awaiting_count_ = 0;
};

// Registers the families and keeps them current. Lives on the controller loop with the
// ControlPlane; the registry must outlive it.
class ControllerMetrics {
 public:
  ControllerMetrics(boost::asio::io_context& io, Store& store, const ServiceTableSource& table,
                    metrics::Registry& registry);
  ~ControllerMetrics();
  ControllerMetrics(const ControllerMetrics&) = delete;
  ControllerMetrics& operator=(const ControllerMetrics&) = delete;

  // Installs the WorkQueue observer on `io`, watches the store and the table.
  void start();
  // One ServiceTable sync took `took` (whether or not it published a new table).
  void observe_sync(std::chrono::steady_clock::duration took);

  class State;

 private:
  boost::asio::io_context& io_;
  Store& store_;
  const ServiceTableSource& table_;
  std::shared_ptr<State> state_;  // shared with the table subscriber and programmed watcher
  std::vector<std::uint64_t> watches_;
};

}  // namespace skiff::controller
