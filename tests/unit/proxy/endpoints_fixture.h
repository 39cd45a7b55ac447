// A list of endpoint states to pick from, as a Route holds them, for the balancer tests.
#pragma once

#include <memory>
#include <vector>

#include "proxy/balancer.h"

namespace skiff::proxy::test {

class Endpoints {
 public:
  explicit Endpoints(std::size_t n, uint64_t first_id = 1) {
    for (std::size_t i = 0; i < n; ++i) {
      owned_.push_back(std::make_unique<EndpointState>(first_id + i));
      pointers_.push_back(owned_.back().get());
    }
  }
  EndpointState& operator[](std::size_t i) { return *owned_[i]; }
  std::span<EndpointState* const> span() const { return pointers_; }
  PickContext context(int64_t now = 1) const { return PickContext{span(), {}, {}, now}; }

 private:
  std::vector<std::unique_ptr<EndpointState>> owned_;
  std::vector<EndpointState*> pointers_;
};

}  // namespace skiff::proxy::test
