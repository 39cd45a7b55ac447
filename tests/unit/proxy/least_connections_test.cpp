#include "proxy/least_connections.h"

#include <catch2/catch.hpp>
#include <map>

#include "endpoints_fixture.h"

using skiff::proxy::LeastConnections;
using skiff::proxy::PickContext;
using skiff::proxy::test::Endpoints;

TEST_CASE("least-connections picks the endpoint with the fewest active sessions",
          "[proxy][least_connections]") {
  LeastConnections lc;
  Endpoints three(3);
  three[0].active = 5;
  three[1].active = 2;
  three[2].active = 7;
  for (int i = 0; i < 10; ++i) CHECK(lc.pick(three.context()) == std::optional<std::size_t>(1));
}

TEST_CASE("least-connections spreads ties in turn and follows opens",
          "[proxy][least_connections]") {
  LeastConnections lc;
  Endpoints four(4);
  // Each pick opens a session on its endpoint: 8 picks end two per endpoint.
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 8; ++i) {
    auto picked = lc.pick(four.context());
    REQUIRE(picked);
    ++four[*picked].active;
    ++counts[*picked];
  }
  CHECK(counts == std::map<std::size_t, int>{{0, 2}, {1, 2}, {2, 2}, {3, 2}});
  // A session closing on endpoint 2 makes it the only least loaded one.
  --four[2].active;
  CHECK(lc.pick(four.context()) == std::optional<std::size_t>(2));
}

TEST_CASE("least-connections avoids ejected endpoints unless all are",
          "[proxy][least_connections]") {
  LeastConnections lc;
  Endpoints two(2);
  two[0].active = 0;
  two[1].active = 9;
  two[0].record_failure(1);
  CHECK(lc.pick(two.context(2)) == std::optional<std::size_t>(1));
  two[1].record_failure(1);
  CHECK(lc.pick(two.context(2)) == std::optional<std::size_t>(0));
  Endpoints none(0);
  CHECK_FALSE(lc.pick(none.context()).has_value());
}
