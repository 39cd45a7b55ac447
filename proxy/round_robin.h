// RoundRobin: endpoints in turn. The counter lives as long as the policy object, which outlives
// snapshot updates, so the rotation continues rather than restarting at 0 on every publication.
#pragma once

#include <atomic>
#include <cstdint>

#include "proxy/balancer.h"

namespace skiff::proxy {

class RoundRobin final : public Balancer {
 public:
  // Ticket t picks t % n, or the next candidate after it when that one is excluded or ejected.
  // An empty list picks nothing and does not advance the counter, so a Service that briefly
  // has no endpoints keeps its rotation.
  std::optional<std::size_t> pick(const PickContext& context) override;

 private:
  std::atomic<uint64_t> next_{0};
};

}  // namespace skiff::proxy
