#include "proxy/balancer_registry.h"

#include <iterator>

#include "proxy/round_robin.h"

namespace skiff::proxy {

std::shared_ptr<Balancer> BalancerRegistry::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto existing = balancers_[key].lock()) return existing;
  // Drop expired entries now and then so the map stays the size of the live Service ports.
  for (auto it = balancers_.begin(); it != balancers_.end();) {
    it = (it->first != key && it->second.expired()) ? balancers_.erase(it) : std::next(it);
  }
  auto made = std::make_shared<RoundRobin>();
  balancers_[key] = made;
  return made;
}

}  // namespace skiff::proxy
