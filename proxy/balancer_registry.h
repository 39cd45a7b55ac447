// BalancerRegistry: one Balancer per Service port, shared by every listener and worker of that
// port. Looked up only when a snapshot is applied, never per connection, so a mutex is fine.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "proxy/balancer.h"

namespace skiff::proxy {

class BalancerRegistry {
 public:
  // The balancer for key, made on first use. Entries are held weakly: a balancer lives while a
  // listener holds it, so a Service port that stays keeps its rotation across snapshots, and
  // one that goes away frees its entry on a later lookup.
  std::shared_ptr<Balancer> get(const std::string& key);

 private:
  std::mutex mutex_;  // guards balancers_
  std::unordered_map<std::string, std::weak_ptr<Balancer>> balancers_;
};

}  // namespace skiff::proxy
