#include "proxy/power_of_two.h"

#include <catch2/catch.hpp>
#include <map>

#include "endpoints_fixture.h"

using skiff::proxy::PickContext;
using skiff::proxy::PowerOfTwoChoices;
using skiff::proxy::test::Endpoints;

TEST_CASE("power-of-two-choices never picks the most loaded of several endpoints",
          "[proxy][power_of_two]") {
  PowerOfTwoChoices p2c;
  Endpoints four(4);
  four[0].active = 1;
  four[1].active = 2;
  four[2].active = 3;
  four[3].active = 100;
  std::map<std::size_t, int> counts;
  for (int i = 0; i < 1000; ++i) ++counts[*p2c.pick(four.context())];
  CHECK(counts.count(3) == 0);
  // The least loaded wins every draw it is in: 3 of the 6 pairs.
  CHECK(counts[0] > 400);
  CHECK(counts[0] > counts[1]);
  CHECK(counts[1] > counts[2]);
}

TEST_CASE("power-of-two-choices keeps sessions balanced as they open", "[proxy][power_of_two]") {
  PowerOfTwoChoices p2c;
  Endpoints five(5);
  for (int i = 0; i < 1000; ++i) ++five[*p2c.pick(five.context())].active;
  for (std::size_t e = 0; e < 5; ++e) {
    // Perfectly even is 200; two choices keep the spread within a few sessions.
    CHECK(five[e].active.load() >= 190);
    CHECK(five[e].active.load() <= 210);
  }
}

TEST_CASE("power-of-two-choices with one candidate or exclusions or none",
          "[proxy][power_of_two]") {
  PowerOfTwoChoices p2c;
  Endpoints three(3);
  const std::size_t tried[] = {0, 2};
  PickContext c = three.context();
  c.exclude = tried;
  for (int i = 0; i < 20; ++i) CHECK(p2c.pick(c) == std::optional<std::size_t>(1));
  three[1].record_failure(1);
  three[0].active = 4;
  // Ejected endpoints are avoided while a healthy one exists.
  for (int i = 0; i < 20; ++i) CHECK(p2c.pick(three.context(2)) != std::optional<std::size_t>(1));
  Endpoints none(0);
  CHECK_FALSE(p2c.pick(none.context()).has_value());
}
