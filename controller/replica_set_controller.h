// ReplicaSet -> Pods: keeps spec.replicas active pods owned by each ReplicaSet (controller
// ownerReference), replacing pods that are deleted or finished, and reports status. Creations
// and deletions are told as SuccessfulCreate / SuccessfulDelete (FailedCreate) events.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

class EventRecorder;

class ReplicaSetController {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  // `events` may be null (no events recorded); it must outlive the controller.
  ReplicaSetController(boost::asio::io_context& io, Store& store,
                       Now now = std::chrono::system_clock::now, EventRecorder* events = nullptr);
  ~ReplicaSetController();
  ReplicaSetController(const ReplicaSetController&) = delete;
  ReplicaSetController& operator=(const ReplicaSetController&) = delete;

  // Watches ReplicaSets and Pods and queues every existing ReplicaSet.
  void start();

 private:
  void reconcile(const ObjectKey& key);

  Store& store_;
  Now now_;
  EventRecorder* events_;
  WorkQueue<ObjectKey> queue_;
  std::vector<uint64_t> watches_;
};

}  // namespace skiff::controller
