// ApplyStatus: what each worker reports after applying a snapshot (version, listeners, bind
// errors), combined for Proxy::errors(), listening() and wait_applied(). Written once per
// snapshot per worker, so a mutex and a condition variable are fine.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace skiff::proxy {

class ApplyStatus {
 public:
  explicit ApplyStatus(int workers);

  // Called (on a worker thread) each time the version every worker serves grows. Set it
  // before the workers start.
  void on_applied(std::function<void(uint64_t)> listener) { listener_ = std::move(listener); }

  // Worker `worker` now serves snapshot `version` with these listeners and errors.
  void report(int worker, uint64_t version, std::vector<std::string> listening,
              std::vector<std::string> errors);

  // Sorted, without duplicates, over all workers.
  std::vector<std::string> errors() const;
  std::vector<std::string> listening() const;

  // The version every worker serves (0 until all have reported).
  uint64_t applied_version() const;

  // True once every worker has reported a version >= version; false after timeout.
  bool wait_applied(uint64_t version, std::chrono::milliseconds timeout) const;

 private:
  struct WorkerState {
    bool reported = false;
    uint64_t version = 0;
    std::vector<std::string> listening;
    std::vector<std::string> errors;
  };
  bool all_applied_locked(uint64_t version) const;

  mutable std::mutex mutex_;  // guards workers_
  mutable std::condition_variable changed_;
  std::function<void(uint64_t)> listener_;
  uint64_t announced_ = 0;  // the last version given to listener_; guarded by mutex_
  std::vector<WorkerState> workers_;
};

}  // namespace skiff::proxy
