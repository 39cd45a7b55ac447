#include "dns/zone.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace skiff::dns;
using skiff::controller::AddressView;
using skiff::controller::EndpointView;
using skiff::controller::ServicePortView;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceView;

namespace {

ServiceView service(std::string ns, std::string name) {
  ServiceView s;
  s.ns = std::move(ns);
  s.name = std::move(name);
  s.type = "ClusterIP";
  return s;
}

// default/web: ClusterIP 127.96.0.10, ports http/TCP 80 and dns/UDP 53 (two endpoints).
// default/db: headless, endpoints db-0 (hostname) and 127.244.0.8 (no hostname), port pg 5432.
// default/empty: headless without ready endpoints.
// default/ext: ExternalName example.org.
// other/web: ClusterIP 127.96.0.20 without named ports.
ServiceTable table() {
  ServiceTable t;
  t.version = 7;
  ServiceView db = service("default", "db");
  db.cluster_ip = "None";
  db.headless = true;
  ServicePortView pg;
  pg.name = "pg";
  pg.port = 5432;
  pg.endpoints = {{"127.244.0.7", 15432, "db-0", "db-0"}, {"127.244.0.8", 15433, "db-x", ""}};
  db.ports.push_back(pg);
  db.ready_addresses = {{"127.244.0.7", "db-0", "db-0"}, {"127.244.0.8", "", "db-x"}};

  ServiceView empty = service("default", "empty");
  empty.cluster_ip = "None";
  empty.headless = true;

  ServiceView ext = service("default", "ext");
  ext.type = "ExternalName";
  ext.cluster_ip = "";
  ext.external_name = "example.org.";

  ServiceView web = service("default", "web");
  web.cluster_ip = "127.96.0.10";
  ServicePortView http;
  http.name = "http";
  http.port = 80;
  http.endpoints = {{"127.244.0.1", 8080, "web-a", ""}, {"127.244.0.2", 8080, "web-b", ""}};
  ServicePortView dns;
  dns.name = "dns";
  dns.protocol = "UDP";
  dns.port = 53;
  web.ports = {http, dns};
  web.ready_addresses = {{"127.244.0.1", "", "web-a"}, {"127.244.0.2", "", "web-b"}};

  ServiceView other = service("other", "web");
  other.cluster_ip = "127.96.0.20";
  ServicePortView unnamed;
  unnamed.port = 80;
  other.ports.push_back(unnamed);

  t.services = {db, empty, ext, web, other};  // sorted by ns, name
  return t;
}

Answer ask(std::string name, uint16_t type, ZoneOptions options = {}) {
  const Zone zone(options, table());
  const auto a = zone.lookup(Question{std::move(name), type, kClassIn});
  REQUIRE(a.has_value());
  return *a;
}

std::vector<std::string> a_records(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    if (const auto* a = std::get_if<AData>(&r.data)) {
      out.push_back(r.name + "=" + std::to_string(a->addr[0]) + "." + std::to_string(a->addr[1]) +
                    "." + std::to_string(a->addr[2]) + "." + std::to_string(a->addr[3]));
    }
  }
  return out;
}

void check_negative(const Answer& a, Rcode rcode) {
  CHECK(a.rcode == rcode);
  CHECK(a.authoritative);
  CHECK(a.answer.empty());
  REQUIRE(a.authority.size() == 1);
  CHECK(a.authority[0].type == rrtype::kSoa);
  CHECK(a.authority[0].name == "cluster.local");
  const auto& soa = std::get<SoaData>(a.authority[0].data);
  CHECK(soa.serial == 7);
  CHECK(soa.mname == "ns.dns.cluster.local");
}

}  // namespace

TEST_CASE("a ClusterIP service answers its ClusterIP, case-insensitively, with the name as asked") {
  const Answer a = ask("Web.Default.SVC.Cluster.Local", rrtype::kA);
  CHECK(a.rcode == Rcode::kNoError);
  CHECK(a.authoritative);
  CHECK(a_records(a.answer) ==
        std::vector<std::string>{"Web.Default.SVC.Cluster.Local=127.96.0.10"});
  CHECK(a.answer[0].ttl == 5);
  CHECK(a_records(ask("web.other.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"web.other.svc.cluster.local=127.96.0.20"});
}

TEST_CASE("a headless service answers its ready endpoints, NXDOMAIN when there are none") {
  CHECK(a_records(ask("db.default.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"db.default.svc.cluster.local=127.244.0.7",
                                 "db.default.svc.cluster.local=127.244.0.8"});
  check_negative(ask("empty.default.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
}

TEST_CASE("endpoints answer by hostname, else by dashed address") {
  CHECK(a_records(ask("db-0.db.default.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"db-0.db.default.svc.cluster.local=127.244.0.7"});
  CHECK(a_records(ask("127-244-0-8.db.default.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"127-244-0-8.db.default.svc.cluster.local=127.244.0.8"});
  CHECK(a_records(ask("127-244-0-2.web.default.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"127-244-0-2.web.default.svc.cluster.local=127.244.0.2"});
  // An endpoint with a hostname is named by it, not by its address.
  check_negative(ask("127-244-0-7.db.default.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("nobody.db.default.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
}

TEST_CASE("SRV for a ClusterIP named port targets the service, its address additional") {
  const Answer a = ask("_http._tcp.web.default.svc.cluster.local", rrtype::kSrv);
  REQUIRE(a.answer.size() == 1);
  const auto& srv = std::get<SrvData>(a.answer[0].data);
  CHECK(srv.port == 80);
  CHECK(srv.target == "web.default.svc.cluster.local");
  CHECK(a_records(a.additional) ==
        std::vector<std::string>{"web.default.svc.cluster.local=127.96.0.10"});
  CHECK(
      std::get<SrvData>(ask("_dns._udp.web.default.svc.cluster.local", rrtype::kSrv).answer[0].data)
          .port == 53);
  // Wrong protocol, unknown port, unnamed port: no such name.
  check_negative(ask("_dns._tcp.web.default.svc.cluster.local", rrtype::kSrv), Rcode::kNxDomain);
  check_negative(ask("_nope._tcp.web.default.svc.cluster.local", rrtype::kSrv), Rcode::kNxDomain);
  check_negative(ask("_._tcp.web.other.svc.cluster.local", rrtype::kSrv), Rcode::kNxDomain);
  // The name exists, the type does not.
  check_negative(ask("_http._tcp.web.default.svc.cluster.local", rrtype::kA), Rcode::kNoError);
}

TEST_CASE("SRV for a headless named port has one record per endpoint") {
  const Answer a = ask("_pg._tcp.db.default.svc.cluster.local", rrtype::kSrv);
  REQUIRE(a.answer.size() == 2);
  const auto& first = std::get<SrvData>(a.answer[0].data);
  const auto& second = std::get<SrvData>(a.answer[1].data);
  CHECK(first.target == "db-0.db.default.svc.cluster.local");
  CHECK(first.port == 15432);
  CHECK(second.target == "127-244-0-8.db.default.svc.cluster.local");
  CHECK(second.port == 15433);
  CHECK(first.weight == second.weight);
  CHECK(a_records(a.additional) ==
        std::vector<std::string>{"db-0.db.default.svc.cluster.local=127.244.0.7",
                                 "127-244-0-8.db.default.svc.cluster.local=127.244.0.8"});
}

TEST_CASE("PTR for ClusterIPs and endpoint addresses, unknown addresses are not ours") {
  const Zone zone({}, table());
  auto ptr = [&](std::string name) {
    const auto a = zone.lookup(Question{std::move(name), rrtype::kPtr, kClassIn});
    std::vector<std::string> out;
    if (!a) return std::vector<std::string>{"<not ours>"};
    for (const auto& r : a->answer) out.push_back(std::get<NameData>(r.data).target);
    return out;
  };
  CHECK(ptr("10.0.96.127.in-addr.arpa") ==
        std::vector<std::string>{"web.default.svc.cluster.local"});
  CHECK(ptr("7.0.244.127.IN-ADDR.ARPA") ==
        std::vector<std::string>{"db-0.db.default.svc.cluster.local"});
  CHECK(ptr("1.0.244.127.in-addr.arpa") ==
        std::vector<std::string>{"127-244-0-1.web.default.svc.cluster.local"});
  CHECK(ptr("99.0.96.127.in-addr.arpa") == std::vector<std::string>{"<not ours>"});
  CHECK(ptr("0.96.127.in-addr.arpa") == std::vector<std::string>{"<not ours>"});
}

TEST_CASE("the schema version TXT record") {
  const Answer a = ask("dns-version.cluster.local", rrtype::kTxt);
  REQUIRE(a.answer.size() == 1);
  CHECK(std::get<TxtData>(a.answer[0].data).strings == std::vector<std::string>{"1.1.0"});
  check_negative(ask("dns-version.cluster.local", rrtype::kA), Rcode::kNoError);
}

TEST_CASE("an ExternalName service is a CNAME for any type") {
  for (uint16_t type : {rrtype::kA, rrtype::kAaaa, rrtype::kCname}) {
    const Answer a = ask("ext.default.svc.cluster.local", type);
    REQUIRE(a.answer.size() == 1);
    CHECK(a.answer[0].type == rrtype::kCname);
    CHECK(std::get<NameData>(a.answer[0].data).target == "example.org");
  }
}

TEST_CASE("pod records answer dashed addresses unless turned off") {
  CHECK(a_records(ask("127-244-3-4.default.pod.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"127-244-3-4.default.pod.cluster.local=127.244.3.4"});
  check_negative(ask("127-244-3.default.pod.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("127-244-3-4.default.pod.cluster.local", rrtype::kAaaa), Rcode::kNoError);
  ZoneOptions off;
  off.pod_records = false;
  check_negative(ask("127-244-3-4.default.pod.cluster.local", rrtype::kA, off), Rcode::kNxDomain);
}

TEST_CASE("missing names are NXDOMAIN, existing names without the type NODATA") {
  check_negative(ask("nope.default.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("web.nons.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("a.b.c.web.default.svc.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("whatever.cluster.local", rrtype::kA), Rcode::kNxDomain);
  check_negative(ask("web.default.svc.cluster.local", rrtype::kAaaa), Rcode::kNoError);
  check_negative(ask("web.default.svc.cluster.local", rrtype::kTxt), Rcode::kNoError);
  check_negative(ask("default.svc.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("svc.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("cluster.local", rrtype::kA), Rcode::kNoError);
  const Answer soa = ask("cluster.local", rrtype::kSoa);
  REQUIRE(soa.answer.size() == 1);
  CHECK(soa.answer[0].type == rrtype::kSoa);
}

TEST_CASE("names outside the zone are not answered") {
  const Zone zone({}, table());
  CHECK_FALSE(zone.lookup(Question{"example.org", rrtype::kA, kClassIn}));
  CHECK_FALSE(zone.lookup(Question{"notcluster.local", rrtype::kA, kClassIn}));
  CHECK_FALSE(zone.lookup(Question{"", rrtype::kA, kClassIn}));
}

TEST_CASE("zone name and TTL are configurable") {
  ZoneOptions o;
  o.zone = "Skiff.Test.";
  o.ttl = 30;
  const Answer a = ask("web.default.svc.skiff.test", rrtype::kA, o);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].ttl == 30);
  const Zone zone(o, table());
  CHECK_FALSE(zone.lookup(Question{"web.default.svc.cluster.local", rrtype::kA, kClassIn}));
  const auto srv =
      zone.lookup(Question{"_http._tcp.web.default.svc.skiff.test", rrtype::kSrv, kClassIn});
  REQUIRE(srv);
  CHECK(std::get<SrvData>(srv->answer[0].data).target == "web.default.svc.skiff.test");
}

namespace {

// default/v6: ClusterIP fd00::10, endpoints fd00::1:5 (hostname v6-0) and fd00::1:6; port http.
// default/v6h: headless, endpoints fd00::2:7 and 127.244.2.8 (dual stack), port http.
ServiceTable ipv6_table() {
  ServiceTable t;
  t.version = 7;
  ServiceView v6 = service("default", "v6");
  v6.cluster_ip = "fd00::10";
  ServicePortView http;
  http.name = "http";
  http.port = 80;
  http.endpoints = {{"fd00::1:5", 8080, "v6-0", "v6-0"}, {"fd00::1:6", 8080, "v6-1", ""}};
  v6.ports = {http};
  v6.ready_addresses = {{"fd00::1:5", "v6-0", "v6-0"}, {"fd00::1:6", "", "v6-1"}};
  ServiceView v6h = service("default", "v6h");
  v6h.cluster_ip = "None";
  v6h.headless = true;
  http.endpoints = {{"127.244.2.8", 8080, "v6h-1", ""}, {"fd00::2:7", 8080, "v6h-0", ""}};
  v6h.ports = {http};
  v6h.ready_addresses = {{"127.244.2.8", "", "v6h-1"}, {"fd00::2:7", "", "v6h-0"}};
  t.services = {v6, v6h};
  return t;
}

std::vector<std::string> aaaa_records(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) {
    if (const auto* a = std::get_if<AaaaData>(&r.data)) {
      char text[64] = {};
      inet_ntop(AF_INET6, a->addr.data(), text, sizeof text);
      out.push_back(r.name + "=" + text);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("AAAA where a Service or an endpoint has an IPv6 address, A where it has IPv4") {
  const Zone zone({}, ipv6_table());
  auto ask6 = [&](std::string name, uint16_t type) {
    const auto a = zone.lookup(Question{std::move(name), type, kClassIn});
    REQUIRE(a);
    return *a;
  };
  CHECK(aaaa_records(ask6("v6.default.svc.cluster.local", rrtype::kAaaa).answer) ==
        std::vector<std::string>{"v6.default.svc.cluster.local=fd00::10"});
  check_negative(ask6("v6.default.svc.cluster.local", rrtype::kA), Rcode::kNoError);
  // Dual-stack headless: each family answers its own addresses.
  CHECK(aaaa_records(ask6("v6h.default.svc.cluster.local", rrtype::kAaaa).answer) ==
        std::vector<std::string>{"v6h.default.svc.cluster.local=fd00::2:7"});
  CHECK(a_records(ask6("v6h.default.svc.cluster.local", rrtype::kA).answer) ==
        std::vector<std::string>{"v6h.default.svc.cluster.local=127.244.2.8"});
  // Endpoint names: the hostname, else the address with colons as dashes.
  CHECK(aaaa_records(ask6("v6-0.v6.default.svc.cluster.local", rrtype::kAaaa).answer) ==
        std::vector<std::string>{"v6-0.v6.default.svc.cluster.local=fd00::1:5"});
  CHECK(aaaa_records(ask6("fd00--1-6.v6.default.svc.cluster.local", rrtype::kAaaa).answer) ==
        std::vector<std::string>{"fd00--1-6.v6.default.svc.cluster.local=fd00::1:6"});
  // SRV for the headless port: both endpoints, each address in the additional section.
  const Answer srv = ask6("_http._tcp.v6h.default.svc.cluster.local", rrtype::kSrv);
  REQUIRE(srv.answer.size() == 2);
  CHECK(a_records(srv.additional) ==
        std::vector<std::string>{"127-244-2-8.v6h.default.svc.cluster.local=127.244.2.8"});
  CHECK(aaaa_records(srv.additional) ==
        std::vector<std::string>{"fd00--2-7.v6h.default.svc.cluster.local=fd00::2:7"});
  // PTR in ip6.arpa for the ClusterIP and the endpoints.
  auto ptr = [&](std::string name) {
    const auto a = zone.lookup(Question{std::move(name), rrtype::kPtr, kClassIn});
    std::vector<std::string> out;
    if (!a) return std::vector<std::string>{"<not ours>"};
    for (const auto& r : a->answer) out.push_back(std::get<NameData>(r.data).target);
    return out;
  };
  CHECK(ptr("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa") ==
        std::vector<std::string>{"v6.default.svc.cluster.local"});
  CHECK(ptr("5.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.IP6.ARPA") ==
        std::vector<std::string>{"v6-0.v6.default.svc.cluster.local"});
  CHECK(ptr("8.2.244.127.in-addr.arpa") ==
        std::vector<std::string>{"127-244-2-8.v6h.default.svc.cluster.local"});
  CHECK(ptr("1.1.0.0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa") ==
        std::vector<std::string>{"<not ours>"});
  // Pod records for IPv6: dashes for colons.
  CHECK(aaaa_records(ask6("fd00--9.default.pod.cluster.local", rrtype::kAaaa).answer) ==
        std::vector<std::string>{"fd00--9.default.pod.cluster.local=fd00::9"});
}

TEST_CASE("names between the zone and a record are empty non-terminals: NODATA, not NXDOMAIN") {
  // RFC 8020: NXDOMAIN means nothing exists below the name either.
  check_negative(ask("_tcp.web.default.svc.cluster.local", rrtype::kSrv), Rcode::kNoError);
  check_negative(ask("_udp.web.default.svc.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("pod.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("default.pod.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("other.svc.cluster.local", rrtype::kA), Rcode::kNoError);
  check_negative(ask("_tcp.empty.default.svc.cluster.local", rrtype::kSrv), Rcode::kNxDomain);
}

TEST_CASE("the zone built from a snapshot carries its version as the SOA serial and its TTL") {
  ZoneOptions o;
  o.ttl = 42;
  auto t = table();
  t.version = 1234;
  const Zone zone(o, t);
  const auto a = zone.lookup(Question{"nope.default.svc.cluster.local", rrtype::kA, kClassIn});
  REQUIRE(a);
  REQUIRE(a->authority.size() == 1);
  const auto& soa = std::get<SoaData>(a->authority[0].data);
  CHECK(soa.serial == 1234);
  CHECK(soa.minimum == 42);
  CHECK(a->authority[0].ttl == 42);
  CHECK(zone.version() == 1234);
}
