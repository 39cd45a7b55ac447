#include "proxy/round_robin.h"

#include <catch2/catch.hpp>
#include <map>
#include <thread>
#include <vector>

#include "endpoints_fixture.h"

using skiff::proxy::PickContext;
using skiff::proxy::RoundRobin;
using skiff::proxy::test::Endpoints;

TEST_CASE("round robin gives each endpoint an equal share in turn", "[proxy][round_robin]") {
  RoundRobin rr;
  Endpoints four(4);
  std::map<std::size_t, int> counts;
  std::vector<std::size_t> first_round;
  for (int i = 0; i < 40; ++i) {
    auto picked = rr.pick(four.context());
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
  Endpoints none(0), three(3);
  CHECK_FALSE(rr.pick(none.context()).has_value());
  CHECK(rr.pick(three.context()) == std::optional<std::size_t>(0));
  // An empty moment does not advance the rotation.
  CHECK_FALSE(rr.pick(none.context()).has_value());
  CHECK(rr.pick(three.context()) == std::optional<std::size_t>(1));
}

TEST_CASE("round robin continues its rotation when the endpoint count changes",
          "[proxy][round_robin]") {
  RoundRobin rr;
  Endpoints four(4), two(2);
  for (int i = 0; i < 3; ++i) rr.pick(four.context());
  // The fourth ticket over 2 endpoints lands on index 1, not back at 0.
  CHECK(rr.pick(two.context()) == std::optional<std::size_t>(1));
  CHECK(rr.pick(two.context()) == std::optional<std::size_t>(0));
}

TEST_CASE("round robin skips ejected and excluded endpoints", "[proxy][round_robin]") {
  RoundRobin rr;
  Endpoints three(3);
  three[1].record_failure(1);  // ejected for a second from t=1 ns
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 30; ++i) ++counts[*rr.pick(three.context(2))];
  CHECK(counts.count(1) == 0);
  CHECK(counts[0] + counts[2] == 30);

  const std::size_t tried[] = {0};
  PickContext c = three.context(2);
  c.exclude = tried;
  for (int i = 0; i < 10; ++i) CHECK(rr.pick(c) == std::optional<std::size_t>(2));

  // Once the back-off has passed, the endpoint is back in the rotation.
  counts.clear();
  for (int i = 0; i < 30; ++i) ++counts[*rr.pick(three.context(2'000'000'000))];
  CHECK(counts == std::map<std::size_t, int>{{0, 10}, {1, 10}, {2, 10}});
}

TEST_CASE("round robin falls back to ejected endpoints when all are ejected",
          "[proxy][round_robin]") {
  RoundRobin rr;
  Endpoints two(2);
  two[0].record_failure(1);
  two[1].record_failure(1);
  CHECK(rr.pick(two.context(2)).has_value());
  // ...but never to an excluded one.
  const std::size_t tried[] = {0, 1};
  PickContext c = two.context(2);
  c.exclude = tried;
  CHECK_FALSE(rr.pick(c).has_value());
}

TEST_CASE("round robin shared by threads still gives exact shares", "[proxy][round_robin]") {
  RoundRobin rr;
  Endpoints five(5);
  constexpr int kThreads = 4;
  constexpr int kPicksPerThread = 2500;
  std::vector<std::vector<int>> counts(kThreads, std::vector<int>(5, 0));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPicksPerThread; ++i) ++counts[t][*rr.pick(five.context())];
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t e = 0; e < 5; ++e) {
    int total = 0;
    for (int t = 0; t < kThreads; ++t) total += counts[t][e];
    CHECK(total == kThreads * kPicksPerThread / 5);
  }
}
