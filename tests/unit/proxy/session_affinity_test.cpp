#include "proxy/session_affinity.h"

#include <catch2/catch.hpp>
#include <set>

#include "endpoints_fixture.h"
#include "proxy/round_robin.h"

using skiff::proxy::ClientKey;
using skiff::proxy::PickContext;
using skiff::proxy::RoundRobin;
using skiff::proxy::SessionAffinity;
using skiff::proxy::test::Endpoints;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

ClientKey client(uint8_t last) {
  ClientKey key{};
  key[10] = key[11] = 0xff;
  key[12] = 10;
  key[15] = last;
  return key;
}

PickContext at(const Endpoints& e, uint8_t who, int64_t now) {
  PickContext c = e.context(now);
  c.client = client(who);
  return c;
}

}  // namespace

TEST_CASE("client-IP affinity sends one client to one endpoint", "[proxy][session_affinity]") {
  SessionAffinity affinity(std::make_unique<RoundRobin>(), 10 * kSecond);
  Endpoints four(4);
  std::set<std::size_t> firsts;
  for (uint8_t who = 1; who <= 4; ++who) {
    auto first = affinity.pick(at(four, who, kSecond));
    REQUIRE(first);
    firsts.insert(*first);
    for (int i = 0; i < 10; ++i) CHECK(affinity.pick(at(four, who, kSecond + i)) == first);
  }
  // New clients are spread by the inner policy.
  CHECK(firsts.size() == 4);
}

TEST_CASE("client-IP affinity expires after the timeout since the last connection",
          "[proxy][session_affinity]") {
  SessionAffinity affinity(std::make_unique<RoundRobin>(), 10 * kSecond);
  Endpoints two(2);
  auto first = affinity.pick(at(two, 1, kSecond));
  // Each connection refreshes the timestamp: 9 s apart keeps it for 27 s.
  for (int i = 1; i <= 3; ++i) CHECK(affinity.pick(at(two, 1, kSecond + i * 9 * kSecond)) == first);
  // 11 s of silence is past the timeout: the inner rotation decides again (it moved on).
  CHECK(affinity.pick(at(two, 1, 39 * kSecond)) != first);
}

TEST_CASE("client-IP affinity moves a client whose endpoint left or failed",
          "[proxy][session_affinity]") {
  SessionAffinity affinity(std::make_unique<RoundRobin>(), 100 * kSecond);
  Endpoints three(3, 1);
  auto first = affinity.pick(at(three, 7, kSecond));
  REQUIRE(first == std::optional<std::size_t>(0));
  // The endpoint (id 1) is not in the next snapshot's list: ids 2 and 3 only.
  Endpoints later(2, 2);
  auto moved = affinity.pick(at(later, 7, 2 * kSecond));
  REQUIRE(moved);
  // ...and the client now sticks to where it moved.
  CHECK(affinity.pick(at(later, 7, 3 * kSecond)) == moved);
  // An ejected endpoint is left too.
  later[*moved].record_failure(3 * kSecond);
  auto again = affinity.pick(at(later, 7, 3 * kSecond + 1));
  REQUIRE(again);
  CHECK(again != moved);
}

TEST_CASE("client-IP affinity drops expired clients as the table grows",
          "[proxy][session_affinity]") {
  SessionAffinity affinity(std::make_unique<RoundRobin>(), kSecond);
  Endpoints two(2);
  auto pick_as = [&](int who, uint8_t generation, int64_t now) {
    PickContext c = two.context(now);
    c.client = client(static_cast<uint8_t>(who & 0xff));
    c.client[14] = static_cast<uint8_t>(who >> 8);
    c.client[13] = generation;
    affinity.pick(c);
  };
  for (int who = 0; who < 2000; ++who) pick_as(who, 0, kSecond);
  CHECK(affinity.size() == 2000);
  // Much later, as many new clients: the old entries are swept, the table does not double.
  for (int who = 0; who < 2000; ++who) pick_as(who, 1, 100 * kSecond);
  CHECK(affinity.size() < 3000);
  Endpoints none(0);
  CHECK_FALSE(affinity.pick(at(none, 1, kSecond)).has_value());
}
