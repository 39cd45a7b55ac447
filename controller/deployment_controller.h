// Deployment -> ReplicaSets: one ReplicaSet per pod template ("<deploy>-<pod-template-hash>"),
// scaled by the Deployment's strategy, old ones pruned to revisionHistoryLimit, and the
// Deployment's status and revision annotation kept current.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

class DeploymentController {
 public:
  using Clock = std::function<std::string()>;  // RFC 3339 "now", for condition times

  DeploymentController(boost::asio::io_context& io, Store& store, Clock clock = nullptr);
  ~DeploymentController();
  DeploymentController(const DeploymentController&) = delete;
  DeploymentController& operator=(const DeploymentController&) = delete;

  // Watches Deployments and ReplicaSets and queues every existing Deployment.
  void start();

 private:
  void reconcile(const ObjectKey& key);

  Store& store_;
  Clock clock_;
  WorkQueue<ObjectKey> queue_;
  std::vector<uint64_t> watches_;
};

}  // namespace skiff::controller
