// Deployment -> ReplicaSets: one ReplicaSet per pod template ("<deploy>-<pod-template-hash>"),
// scaled by the Deployment's strategy (deployment_rollout.h), old ones pruned to
// revisionHistoryLimit, the new one's revision and annotations kept current, and the
// Deployment's status (with its progress deadline) reported. Scaling is told as
// ScalingReplicaSet events.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

class EventRecorder;

class DeploymentController {
 public:
  using Clock = std::function<std::string()>;  // RFC 3339 "now", for conditions and deadlines

  // `events` may be null (no events recorded); it must outlive the controller.
  DeploymentController(boost::asio::io_context& io, Store& store, Clock clock = nullptr,
                       EventRecorder* events = nullptr);
  ~DeploymentController();
  DeploymentController(const DeploymentController&) = delete;
  DeploymentController& operator=(const DeploymentController&) = delete;

  // Watches Deployments, ReplicaSets and pod deletions (Recreate waits for old pods to be
  // gone) and queues every existing Deployment.
  void start();

 private:
  void reconcile(const ObjectKey& key);
  // The Deployment owning the ReplicaSet that controls `pod_meta`, queued; for pod deletions.
  void queue_owner_of_pod(const config::ObjectMeta& pod_meta);

  Store& store_;
  Clock clock_;
  EventRecorder* events_;
  WorkQueue<ObjectKey> queue_;
  std::vector<uint64_t> watches_;
  // When each Deployment's pending progress-deadline recheck fires.
  std::map<ObjectKey, std::chrono::steady_clock::time_point> recheck_at_;
};

}  // namespace skiff::controller
