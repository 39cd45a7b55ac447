#include "proxy/apply_status.h"

#include <algorithm>

namespace skiff::proxy {

namespace {

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

ApplyStatus::ApplyStatus(int workers) : workers_(static_cast<std::size_t>(std::max(workers, 1))) {}

void ApplyStatus::report(int worker, uint64_t version, std::vector<std::string> listening,
                         std::vector<std::string> errors) {
  uint64_t announce = 0;
  {
    std::lock_guard lock(mutex_);
    auto& state = workers_.at(static_cast<std::size_t>(worker));
    state.reported = true;
    state.version = version;
    state.listening = std::move(listening);
    state.errors = std::move(errors);
    uint64_t oldest = UINT64_MAX;
    for (const auto& w : workers_) oldest = std::min(oldest, w.reported ? w.version : 0);
    if (oldest > announced_) announce = announced_ = oldest;
  }
  changed_.notify_all();
  if (announce && listener_) listener_(announce);
}

std::vector<std::string> ApplyStatus::errors() const {
  std::vector<std::string> all;
  std::lock_guard lock(mutex_);
  for (const auto& w : workers_) all.insert(all.end(), w.errors.begin(), w.errors.end());
  return sorted_unique(std::move(all));
}

std::vector<std::string> ApplyStatus::listening() const {
  std::vector<std::string> all;
  std::lock_guard lock(mutex_);
  for (const auto& w : workers_) all.insert(all.end(), w.listening.begin(), w.listening.end());
  return sorted_unique(std::move(all));
}

uint64_t ApplyStatus::applied_version() const {
  std::lock_guard lock(mutex_);
  uint64_t oldest = UINT64_MAX;
  for (const auto& w : workers_) oldest = std::min(oldest, w.reported ? w.version : 0);
  return oldest;
}

bool ApplyStatus::all_applied_locked(uint64_t version) const {
  return std::all_of(workers_.begin(), workers_.end(),
                     [&](const WorkerState& w) { return w.reported && w.version >= version; });
}

bool ApplyStatus::wait_applied(uint64_t version, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return all_applied_locked(version); });
}

}  // namespace skiff::proxy
