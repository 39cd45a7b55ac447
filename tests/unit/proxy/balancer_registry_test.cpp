#include "proxy/balancer_registry.h"

#include <catch2/catch.hpp>

using skiff::proxy::BalancerRegistry;
using skiff::proxy::PickContext;

TEST_CASE("balancer registry shares one balancer per key", "[proxy][balancer_registry]") {
  BalancerRegistry registry;
  auto a = registry.get("default/web 6000/TCP");
  auto b = registry.get("default/web 6000/TCP");
  auto other = registry.get("default/web 6001/TCP");
  REQUIRE(a);
  CHECK(a == b);
  CHECK(a != other);
  // The shared instance carries the rotation: a pick through one handle moves the other.
  CHECK(a->pick(PickContext{2}) == std::optional<std::size_t>(0));
  CHECK(b->pick(PickContext{2}) == std::optional<std::size_t>(1));
}

TEST_CASE("balancer registry starts afresh once nobody holds a key", "[proxy][balancer_registry]") {
  BalancerRegistry registry;
  auto first = registry.get("default/web 6000/TCP");
  first->pick(PickContext{2});
  first.reset();
  auto second = registry.get("default/web 6000/TCP");
  CHECK(second->pick(PickContext{2}) == std::optional<std::size_t>(0));
}
