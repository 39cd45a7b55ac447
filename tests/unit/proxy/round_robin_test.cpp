#include "proxy/round_robin.h"

#include <catch2/catch.hpp>
#include <map>
#include <thread>
#include <vector>

using skiff::proxy::PickContext;
using skiff::proxy::RoundRobin;

TEST_CASE("round robin gives each endpoint an equal share in turn", "[proxy][round_robin]") {
  RoundRobin rr;
  std::map<std::size_t, int> counts;
  std::vector<std::size_t> first_round;
  for (int i = 0; i < 40; ++i) {
    auto picked = rr.pick(PickContext{4});
    REQUIRE(picked.has_value());
    REQUIRE(*picked < 4);
    if (i < 4) first_round.push_back(*picked);
    ++counts[*picked];
  }
  CHECK(first_round == std::vector<std::size_t>{0, 1, 2, 3});
  CHECK(counts == std::map<std::size_t, int>{{0, 10}, {1, 10}, {2, 10}, {3, 10}});
}

TEST_CASE("round robin picks nothing when there are no endpoints", "[proxy][round_robin]") {
  RoundRobin rr;
  CHECK_FALSE(rr.pick(PickContext{0}).has_value());
  CHECK(rr.pick(PickContext{3}) == std::optional<std::size_t>(0));
  // An empty moment does not advance the rotation.
  CHECK_FALSE(rr.pick(PickContext{0}).has_value());
  CHECK(rr.pick(PickContext{3}) == std::optional<std::size_t>(1));
}

TEST_CASE("round robin continues its rotation when the endpoint count changes",
          "[proxy][round_robin]") {
  RoundRobin rr;
  for (int i = 0; i < 3; ++i) rr.pick(PickContext{4});
  // The fourth ticket over 2 endpoints lands on index 1, not back at 0.
  CHECK(rr.pick(PickContext{2}) == std::optional<std::size_t>(1));
  CHECK(rr.pick(PickContext{2}) == std::optional<std::size_t>(0));
}

TEST_CASE("round robin shared by threads still gives exact shares", "[proxy][round_robin]") {
  RoundRobin rr;
  constexpr int kThreads = 4;
  constexpr int kPicksPerThread = 2500;
  std::vector<std::vector<int>> counts(kThreads, std::vector<int>(5, 0));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPicksPerThread; ++i) ++counts[t][*rr.pick(PickContext{5})];
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t e = 0; e < 5; ++e) {
    int total = 0;
    for (int t = 0; t < kThreads; ++t) total += counts[t][e];
    CHECK(total == kThreads * kPicksPerThread / 5);
  }
}
