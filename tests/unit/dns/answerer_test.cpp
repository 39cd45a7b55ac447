#include "dns/answerer.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dns/cidr.h"

using namespace skiff::dns;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceView;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes query(std::string_view name, uint16_t type, uint16_t flags = flag::kRd,
            int edns_version = -1) {
  Bytes b = {0xAB,
             0xCD,
             static_cast<uint8_t>(flags >> 8),
             static_cast<uint8_t>(flags),
             0,
             1,
             0,
             0,
             0,
             0,
             0,
             static_cast<uint8_t>(edns_version >= 0 ? 1 : 0)};
  std::string wire;
  REQUIRE(name_to_wire(name, wire));
  b.insert(b.end(), wire.begin(), wire.end());
  b.insert(b.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  if (edns_version >= 0) {
    b.insert(b.end(), {0, 0, 41, 0x10, 0, 0, static_cast<uint8_t>(edns_version), 0, 0, 0, 0});
  }
  return b;
}

struct Fixture {
  Fixture() {
    ServiceView s;
    s.ns = "default";
    s.name = "web";
    s.type = "ClusterIP";
    s.cluster_ip = "127.96.0.10";
    table.services.push_back(s);
  }
  uint16_t rcode_of(const Bytes& packet, bool allowed = true, bool forward = false) {
    const Answerer answerer(AnswererOptions{forward, nullptr});
    const Zone zone(ZoneOptions{}, table);
    last = answerer.respond(packet, allowed, Transport::kUdp, zone, q, out);
    if (last != Disposition::kReply) return 0xFFFF;
    Message m;
    REQUIRE(decode_message(out, m) == ParseError::kNone);
    CHECK(m.id == 0xABCD);
    return m.rcode();
  }
  ServiceTable table;
  Query q;
  Bytes out;
  Disposition last = Disposition::kDrop;
};

}  // namespace

TEST_CASE("the answerer picks the rcode a client sees") {
  Fixture f;
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", rrtype::kA)) == 0);
  CHECK(f.rcode_of(query("no.default.svc.cluster.local", rrtype::kA)) == 3);
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", rrtype::kA), false) == 5);
  CHECK(f.rcode_of(query("example.org", rrtype::kA)) == 5);
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", 252)) == 5);                 // AXFR
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", rrtype::kA, 0x2800)) == 4);  // UPDATE
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", rrtype::kA, 0, 1)) == 16);   // BADVERS
  Bytes broken = query("web.default.svc.cluster.local", rrtype::kA);
  broken.pop_back();
  CHECK(f.rcode_of(broken) == 1);
}

TEST_CASE("the answerer drops what is not a query and hands foreign names to the forwarder") {
  Fixture f;
  CHECK(f.rcode_of(query("web.default.svc.cluster.local", rrtype::kA, 0x8000)) == 0xFFFF);
  CHECK(f.last == Disposition::kDrop);
  CHECK(f.rcode_of(Bytes{1, 2}) == 0xFFFF);
  CHECK(f.last == Disposition::kDrop);
  CHECK(f.rcode_of(query("example.org", rrtype::kA), true, true) == 0xFFFF);
  CHECK(f.last == Disposition::kForward);
  CHECK(f.q.question.name == "example.org");
  // Names in the zone are never forwarded.
  CHECK(f.rcode_of(query("no.default.svc.cluster.local", rrtype::kA), true, true) == 3);
}

TEST_CASE("CIDR sets match IPv4, IPv6 and IPv4-mapped clients") {
  auto set = CidrSet::parse({"127.0.0.0/8", "10.1.2.128/25", "fd00::/8", "192.168.1.1"});
  REQUIRE(set);
  auto v4 = [&](std::array<uint8_t, 4> a) { return set->contains(a.data(), 4); };
  CHECK(v4({127, 5, 6, 7}));
  CHECK_FALSE(v4({128, 0, 0, 1}));
  CHECK(v4({10, 1, 2, 200}));
  CHECK_FALSE(v4({10, 1, 2, 127}));
  CHECK(v4({192, 168, 1, 1}));
  CHECK_FALSE(v4({192, 168, 1, 2}));
  std::array<uint8_t, 16> v6{};
  v6[0] = 0xFD;
  CHECK(set->contains(v6.data(), 16));
  v6[0] = 0xFE;
  CHECK_FALSE(set->contains(v6.data(), 16));
  std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1};
  CHECK(set->contains(mapped.data(), 16));

  CHECK_FALSE(CidrSet::parse({"127.0.0.0/33"}));
  CHECK_FALSE(CidrSet::parse({"127.0.0.0/"}));
  CHECK_FALSE(CidrSet::parse({"localhost"}));
  CHECK_FALSE(CidrSet::parse({"::/129"}));
  CHECK(CidrSet::parse({"0.0.0.0/0"})->contains(std::array<uint8_t, 4>{8, 8, 8, 8}.data(), 4));
}
