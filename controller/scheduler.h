// The scheduler: binds pending pods (no spec.nodeName) to the node when their
// resources.requests fit in its allocatable beside the pods already bound there, as
// kube-scheduler's NodeResourcesFit does (placement: scheduler_fit.h).
//
// Pods are taken FIFO by creation; one that does not fit stays Pending with PodScheduled=False
// (reason Unschedulable, "0/1 nodes are available: 1 Insufficient memory.") and a
// FailedScheduling event, and does not block the pods behind it. It is tried again when room
// may have appeared: a bound pod deleted or finished, the Node changed, and every
// `retry_period` (kube-scheduler's flush of unschedulable pods). Pods created with nodeName
// set are not the scheduler's.
//
// Threading: the controller loop. Store watch callbacks only post a pass.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "controller/store.h"

namespace skiff::controller {

class EventRecorder;

struct SchedulerOptions {
  std::string node_name = "skiff";
  std::chrono::milliseconds retry_period{60000};
  EventRecorder* events = nullptr;  // Scheduled, FailedScheduling; null: none
};

class Scheduler {
 public:
  Scheduler(boost::asio::io_context& io, Store& store, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();

 private:
  void on_pod(const WatchEvent& ev);
  void request_pass();
  void pass();
  void schedule_retry();

  boost::asio::io_context& io_;
  Store& store_;
  SchedulerOptions options_;
  uint64_t pod_watch_ = 0;
  uint64_t node_watch_ = 0;
  bool pass_posted_ = false;
  // Bumped whenever room may have appeared; an unschedulable pod is tried again only in a
  // later epoch than its last attempt, so a pass that binds nothing does not spin.
  uint64_t epoch_ = 1;
  std::map<std::string, uint64_t> attempted_;  // pod uid -> epoch of its last failed attempt
  std::map<std::string, uint64_t> seen_;       // pod uid -> arrival order (FIFO ties)
  uint64_t next_seen_ = 0;
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller
