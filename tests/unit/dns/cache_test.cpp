#include "dns/cache.h"

#include <catch2/catch.hpp>

using namespace skiff::dns;
using namespace std::chrono_literals;

namespace {

Message positive(uint32_t ttl_a, uint32_t ttl_b) {
  Message m;
  m.flags = flag::kQr | flag::kRa;
  m.answer.push_back(make_a("example.org", ttl_a, {93, 184, 216, 34}));
  m.answer.push_back(make_a("example.org", ttl_b, {93, 184, 216, 35}));
  return m;
}

Message negative(uint16_t rcode, uint32_t soa_ttl, uint32_t minimum) {
  Message m;
  m.flags = static_cast<uint16_t>(flag::kQr | rcode);
  m.authority.push_back(make_soa("org", soa_ttl, {"a0.org", "noc.org", 1, 1, 1, 1, minimum}));
  return m;
}

const Question kQ{"Example.ORG", rrtype::kA, kClassIn};

}  // namespace

TEST_CASE("a positive answer is kept for its smallest TTL, ages, and expires") {
  Cache cache(10);
  const auto t0 = Cache::Clock::now();
  cache.put(kQ, positive(300, 60), t0);
  auto hit = cache.get(Question{"example.org", rrtype::kA, kClassIn}, t0 + 10s);
  REQUIRE(hit);
  CHECK(hit->recursion_available);
  CHECK_FALSE(hit->authoritative);
  REQUIRE(hit->answer.size() == 2);
  CHECK(hit->answer[0].ttl == 290);
  CHECK(hit->answer[1].ttl == 50);
  CHECK_FALSE(cache.get(kQ, t0 + 60s));
  CHECK(cache.size() == 0);
  CHECK_FALSE(cache.get(Question{"example.org", rrtype::kAaaa, kClassIn}, t0));
}

TEST_CASE("negative answers are kept for min(SOA TTL, SOA minimum)") {
  Cache cache(10);
  const auto t0 = Cache::Clock::now();
  cache.put(kQ, negative(3, 900, 30), t0);  // NXDOMAIN
  auto hit = cache.get(kQ, t0 + 29s);
  REQUIRE(hit);
  CHECK(hit->rcode == Rcode::kNxDomain);
  CHECK_FALSE(cache.get(kQ, t0 + 30s));

  cache.put(kQ, negative(0, 20, 900), t0);  // NODATA
  CHECK(cache.get(kQ, t0 + 19s));
  CHECK_FALSE(cache.get(kQ, t0 + 20s));
}

TEST_CASE("failures, truncated answers and uncacheable answers are not kept") {
  Cache cache(10);
  const auto t0 = Cache::Clock::now();
  cache.put(kQ, negative(2, 60, 60), t0);  // SERVFAIL
  cache.put(kQ, negative(5, 60, 60), t0);  // REFUSED
  Message tc = positive(60, 60);
  tc.flags |= flag::kTc;
  cache.put(kQ, tc, t0);
  cache.put(kQ, positive(0, 60), t0);  // TTL 0: do not cache
  Message no_soa;
  no_soa.flags = flag::kQr | 3;
  cache.put(kQ, no_soa, t0);
  CHECK(cache.size() == 0);
}

TEST_CASE("the cache is bounded and drops the least recently used entry") {
  Cache cache(2);
  const auto t0 = Cache::Clock::now();
  cache.put(Question{"a", rrtype::kA, kClassIn}, positive(60, 60), t0);
  cache.put(Question{"b", rrtype::kA, kClassIn}, positive(60, 60), t0);
  CHECK(cache.get(Question{"a", rrtype::kA, kClassIn}, t0));  // a is now the most recent
  cache.put(Question{"c", rrtype::kA, kClassIn}, positive(60, 60), t0);
  CHECK(cache.size() == 2);
  CHECK(cache.get(Question{"a", rrtype::kA, kClassIn}, t0));
  CHECK_FALSE(cache.get(Question{"b", rrtype::kA, kClassIn}, t0));
  CHECK(cache.get(Question{"c", rrtype::kA, kClassIn}, t0));
}

TEST_CASE("TTLs are capped") {
  Cache cache(2, 100);
  const auto t0 = Cache::Clock::now();
  cache.put(kQ, positive(86400, 86400), t0);
  CHECK(cache.get(kQ, t0 + 99s));
  CHECK_FALSE(cache.get(kQ, t0 + 100s));
}
