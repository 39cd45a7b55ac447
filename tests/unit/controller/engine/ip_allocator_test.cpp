#include "controller/engine/ip_allocator.h"

#include <catch2/catch.hpp>
#include <set>

using skiff::controller::engine::IpAllocator;

TEST_CASE("pod IPs come from 127.244.0.0/16 and skip .0, .255 and the gateway") {
  auto a = IpAllocator::from_cidr("127.244.0.0/16");
  REQUIRE(a.ok());
  CHECK(*a->allocate() == "127.244.0.2");
  CHECK(*a->allocate() == "127.244.0.3");
  std::set<std::string> seen;
  for (int i = 0; i < 600; ++i) {
    auto ip = a->allocate();
    REQUIRE(ip);
    CHECK(ip->rfind("127.244.", 0) == 0);
    CHECK_FALSE(ip->ends_with(".0"));
    CHECK_FALSE(ip->ends_with(".255"));
    CHECK(*ip != "127.244.0.1");
    CHECK(seen.insert(*ip).second);
  }
  CHECK(seen.contains("127.244.1.1"));
  CHECK(seen.contains("127.244.1.254"));
  CHECK(seen.contains("127.244.2.1"));
}

TEST_CASE("a freed IP is not reused at once, and never one in use") {
  auto a = IpAllocator::from_cidr("10.0.0.0/29");  // .2 .. .6 usable
  REQUIRE(a.ok());
  std::vector<std::string> ips;
  for (int i = 0; i < 5; ++i) ips.push_back(*a->allocate());
  CHECK(ips ==
        std::vector<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"});
  CHECK_FALSE(a->allocate());  // exhausted
  a->release("10.0.0.4");
  a->release("10.0.0.3");
  CHECK(*a->allocate() == "10.0.0.3");
  CHECK(*a->allocate() == "10.0.0.4");
  CHECK_FALSE(a->allocate());
  CHECK(a->used() == 5);
}

TEST_CASE("reserve marks adopted IPs, the allocator then skips them") {
  auto a = IpAllocator::from_cidr("127.244.0.0/16");
  REQUIRE(a.ok());
  CHECK(a->reserve("127.244.0.2"));
  CHECK_FALSE(a->reserve("127.244.0.2"));
  CHECK_FALSE(a->reserve("127.245.0.2"));
  CHECK_FALSE(a->reserve("127.244.0.1"));
  CHECK(*a->allocate() == "127.244.0.3");
  CHECK(a->in_use("127.244.0.2"));
}

TEST_CASE("bad pod CIDRs are rejected with a message") {
  CHECK_FALSE(IpAllocator::from_cidr("127.244.0.0").ok());
  CHECK_FALSE(IpAllocator::from_cidr("127.244.0/16").ok());
  CHECK_FALSE(IpAllocator::from_cidr("127.244.0.0/33").ok());
  auto bad = IpAllocator::from_cidr("x/16");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("x/16") != std::string::npos);
}
