// "No allocation per query on the zone answer path", measured: this file replaces the global
// operator new/delete of the unit_dns_tests executable with versions that count, per thread,
// while a flag is set. Counting is off except around the loop under test, so Catch2 and the
// other tests are unaffected.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "dns/answerer.h"
#include "dns/dns_metrics.h"
#include "metrics/registry.h"

namespace {

thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* counted_alloc(std::size_t n, std::size_t align = 0) {
  if (counting) ++allocations;
  if (n == 0) n = 1;
  if (align > alignof(std::max_align_t)) {
    n = (n + align - 1) / align * align;  // aligned_alloc wants a multiple of the alignment
    return std::aligned_alloc(align, n);
  }
  return std::malloc(n);
}

void* counted_alloc_or_throw(std::size_t n, std::size_t align = 0) {
  void* p = counted_alloc(n, align);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return counted_alloc_or_throw(n); }
void* operator new[](std::size_t n) { return counted_alloc_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

using namespace skiff::dns;
using skiff::controller::ServicePortView;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceView;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes packet(std::string_view name, uint16_t type, uint16_t flags = flag::kRd, int edns = -1,
             uint16_t id = 0x1234) {
  Bytes b = {static_cast<uint8_t>(id >> 8),
             static_cast<uint8_t>(id),
             static_cast<uint8_t>(flags >> 8),
             static_cast<uint8_t>(flags),
             0,
             1,
             0,
             0,
             0,
             0,
             0,
             static_cast<uint8_t>(edns >= 0 ? 1 : 0)};
  std::string wire;
  REQUIRE(name_to_wire(name, wire));
  b.insert(b.end(), wire.begin(), wire.end());
  b.insert(b.end(), {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  if (edns >= 0) {
    b.insert(b.end(), {0, 0, 41, static_cast<uint8_t>(edns >> 8), static_cast<uint8_t>(edns), 0, 0,
                       0, 0, 0, 0});
  }
  return b;
}

// web: ClusterIP with a named port; web6: an IPv6 ClusterIP; many: headless, 40 endpoints, some
// with hostnames; ext: ExternalName.
ServiceTable table() {
  ServiceTable t;
  t.version = 3;
  ServiceView ext;
  ext.ns = "default";
  ext.name = "ext";
  ext.type = "ExternalName";
  ext.external_name = "example.org";

  ServiceView many;
  many.ns = "default";
  many.name = "many";
  many.type = "ClusterIP";
  many.cluster_ip = "None";
  many.headless = true;
  ServicePortView http;
  http.name = "http";
  http.port = 80;
  for (int i = 0; i < 40; ++i) {
    const std::string ip = "127.244.1." + std::to_string(i);
    const std::string host = i % 2 ? "" : "many-" + std::to_string(i);
    http.endpoints.push_back({ip, 8080, "many-" + std::to_string(i), host});
    many.ready_addresses.push_back({ip, host, "many-" + std::to_string(i)});
  }
  many.ports.push_back(http);

  ServiceView web;
  web.ns = "default";
  web.name = "web";
  web.type = "ClusterIP";
  web.cluster_ip = "127.96.0.10";
  ServicePortView web_http;
  web_http.name = "http";
  web_http.port = 80;
  web.ports.push_back(web_http);

  ServiceView web6 = web;
  web6.name = "web6";
  web6.cluster_ip = "fd00::a";

  t.services = {ext, many, web, web6};
  return t;
}

}  // namespace

TEST_CASE("the counting allocator sees allocations") {
  allocations = 0;
  counting = true;
  auto* p = new std::string(200, 'x');
  counting = false;
  CHECK(p->size() == 200);
  delete p;
  CHECK(allocations >= 1);
}

TEST_CASE("answering from the zone allocates nothing per query, over UDP and TCP") {
  const ServiceTable t = table();
  const Zone zone(ZoneOptions{}, t);
  skiff::metrics::Registry registry;
  DnsMetrics metrics(registry);
  const Answerer answerer(AnswererOptions{false, &metrics});

  // Every kind of zone answer: positive, NODATA, NXDOMAIN, SRV with additional records, TC,
  // PTR (v4 and v6), TXT, CNAME, pod records, the apex SOA, ANY, and the local refusals.
  const std::vector<Bytes> queries = {
      packet("web.default.svc.cluster.local", rrtype::kA),
      packet("WEB.Default.Svc.Cluster.Local", rrtype::kA, flag::kRd, 1232),
      packet("web.default.svc.cluster.local", rrtype::kAaaa),
      packet("web6.default.svc.cluster.local", rrtype::kAaaa, flag::kRd, 4096),
      packet("_http._tcp.web.default.svc.cluster.local", rrtype::kSrv),
      packet("_http._tcp.many.default.svc.cluster.local", rrtype::kSrv, flag::kRd, 4096),
      packet("many.default.svc.cluster.local", rrtype::kA),  // 512 bytes: TC
      packet("many.default.svc.cluster.local", rrtype::kA, flag::kRd, 4096),
      packet("many-0.many.default.svc.cluster.local", rrtype::kA),
      packet("127-244-1-1.many.default.svc.cluster.local", rrtype::kA),
      packet("10.0.96.127.in-addr.arpa", rrtype::kPtr),
      packet("3.1.244.127.in-addr.arpa", rrtype::kPtr),
      packet("a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa",
             rrtype::kPtr),
      packet("dns-version.cluster.local", rrtype::kTxt),
      packet("ext.default.svc.cluster.local", rrtype::kA),
      packet("127-244-9-9.default.pod.cluster.local", rrtype::kA),
      packet("fd00--9.default.pod.cluster.local", rrtype::kAaaa),
      packet("nope.default.svc.cluster.local", rrtype::kA),
      packet("default.svc.cluster.local", rrtype::kA),
      packet("cluster.local", rrtype::kSoa),
      packet("web.default.svc.cluster.local", rrtype::kAny),
      packet("example.org", rrtype::kA),                            // not ours: REFUSED
      packet("web.default.svc.cluster.local", rrtype::kA, 0x2900),  // opcode 5: NOTIMP
      Bytes{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1},  // FORMERR
  };

  Query q;
  Bytes out;
  out.reserve(kMaxMessage);
  q.question.name.reserve(4 * kMaxNameWire);
  q.qname_wire.reserve(kMaxNameWire);
  std::size_t bytes = 0;
  auto pass = [&](Transport transport) {
    for (const Bytes& p : queries) {
      const Disposition d = answerer.respond(p, true, transport, zone, q, out);
      bytes += d == Disposition::kReply ? out.size() : 0;
    }
    bytes += answerer.respond(queries[0], false, transport, zone, q, out) == Disposition::kReply
                 ? out.size()
                 : 0;
  };
  // The first pass makes the metric children and the encoder's scratch, once per process.
  pass(Transport::kUdp);
  pass(Transport::kTcp);

  constexpr int kRounds = 500;
  allocations = 0;
  bytes = 0;
  counting = true;
  for (int i = 0; i < kRounds; ++i) {
    pass(Transport::kUdp);
    pass(Transport::kTcp);
  }
  counting = false;
  INFO(kRounds * 2 * (queries.size() + 1) << " queries, " << bytes << " bytes of answers");
  CHECK(allocations == 0);
  CHECK(bytes > kRounds * 2 * queries.size() * kHeaderSize);

  // And the answers are the ones expected (checked outside the counted loop).
  auto rcode_of = [&](const Bytes& p) {
    REQUIRE(answerer.respond(p, true, Transport::kUdp, zone, q, out) == Disposition::kReply);
    Message m;
    REQUIRE(decode_message(out, m) == ParseError::kNone);
    return std::pair{m.rcode(), m.answer.size()};
  };
  CHECK(rcode_of(queries[0]) == std::pair<uint16_t, std::size_t>{0, 1});
  CHECK(rcode_of(queries[3]) == std::pair<uint16_t, std::size_t>{0, 1});
  CHECK(rcode_of(queries[5]) == std::pair<uint16_t, std::size_t>{0, 40});
  CHECK(rcode_of(queries[12]) == std::pair<uint16_t, std::size_t>{0, 1});
  CHECK(rcode_of(queries[16]) == std::pair<uint16_t, std::size_t>{0, 1});
  CHECK(rcode_of(queries[17]) == std::pair<uint16_t, std::size_t>{3, 0});
  CHECK(rcode_of(queries[21]) == std::pair<uint16_t, std::size_t>{5, 0});
}

TEST_CASE("building a zone allocates, so the counter would notice a lookup that did") {
  const ServiceTable t = table();
  allocations = 0;
  counting = true;
  const Zone zone(ZoneOptions{}, t);
  counting = false;
  CHECK(allocations > 0);
}
