// PowerOfTwoChoices: two distinct candidates at random, the one with fewer active sessions wins
// (a tie goes to the first drawn). Nearly as even as least-connections, O(1) per pick, and it
// avoids the herd least-connections sends to a fresh endpoint.
#pragma once

#include <atomic>
#include <cstdint>

#include "proxy/balancer.h"

namespace skiff::proxy {

class PowerOfTwoChoices final : public Balancer {
 public:
  explicit PowerOfTwoChoices(uint64_t seed = 0x9e3779b97f4a7c15ull) : state_(seed | 1) {}
  std::optional<std::size_t> pick(const PickContext& context) override;

 private:
  uint64_t random();
  std::atomic<uint64_t> state_;  // splitmix64 state; a racing update only repeats a draw
};

}  // namespace skiff::proxy
