#include "controller/service_table.h"

#include <algorithm>

namespace skiff::controller {

const ServiceView* ServiceTable::find(std::string_view ns, std::string_view name) const {
  auto it =
      std::lower_bound(services.begin(), services.end(), std::pair(ns, name),
                       [](const ServiceView& s, const auto& key) {
                         return std::pair<std::string_view, std::string_view>(s.ns, s.name) < key;
                       });
  if (it == services.end() || it->ns != ns || it->name != name) return nullptr;
  return &*it;
}

ServiceTableSource::ServiceTableSource() : current_(std::make_shared<const ServiceTable>()) {}

void ServiceTableSource::publish(ServiceTablePtr table) {
  current_.store(table, std::memory_order_release);
  std::vector<std::function<void(const ServiceTablePtr&)>> subscribers;
  {
    std::lock_guard lock(subscribers_mutex_);
    subscribers = subscribers_;
  }
  for (const auto& s : subscribers) s(table);
}

void ServiceTableSource::subscribe(std::function<void(const ServiceTablePtr&)> subscriber) const {
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.push_back(std::move(subscriber));
}

int ServiceTableSource::add_programmer() const {
  std::lock_guard lock(programmed_mutex_);
  const int id = next_programmer_++;
  programmed_[id] = 0;
  return id;
}

void ServiceTableSource::report_programmed(int programmer, uint64_t version) const {
  std::vector<std::function<void()>> watchers;
  {
    std::lock_guard lock(programmed_mutex_);
    auto it = programmed_.find(programmer);
    if (it == programmed_.end() || it->second >= version) return;
    it->second = version;
    watchers = programmed_watchers_;
  }
  for (const auto& w : watchers) w();
}

void ServiceTableSource::remove_programmer(int programmer) const {
  std::vector<std::function<void()>> watchers;
  {
    std::lock_guard lock(programmed_mutex_);
    if (programmed_.erase(programmer) == 0) return;
    watchers = programmed_watchers_;
  }
  for (const auto& w : watchers) w();
}

uint64_t ServiceTableSource::programmed_version() const {
  std::lock_guard lock(programmed_mutex_);
  if (programmed_.empty()) return current()->version;
  uint64_t oldest = UINT64_MAX;
  for (const auto& [id, version] : programmed_) oldest = std::min(oldest, version);
  return oldest;
}

void ServiceTableSource::watch_programmed(std::function<void()> watcher) const {
  std::lock_guard lock(programmed_mutex_);
  programmed_watchers_.push_back(std::move(watcher));
}

}  // namespace skiff::controller
