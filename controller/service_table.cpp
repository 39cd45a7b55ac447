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

}  // namespace skiff::controller
