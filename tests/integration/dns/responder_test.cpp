// The responder against a real client: dig, over UDP and TCP, on an ephemeral loopback port.
#include "dns/responder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "dig.h"
#include "web_service.h"

using skiff::controller::AddressView;
using skiff::controller::EndpointView;
using skiff::controller::ServicePortView;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::controller::ServiceView;
using skiff::dns::Responder;
using skiff::dns::ResponderOptions;
using skiff::test::count_of;
using skiff::test::dig;
using skiff::test::has_line;
using skiff::test::status_of;

namespace {

ServiceView web(std::string cluster_ip) { return skiff::test::web_service(std::move(cluster_ip)); }

// A headless service with `n` ready endpoints 127.244.1.0 .. 127.244.1.(n-1).
ServiceView headless(int n) {
  ServiceView s;
  s.ns = "default";
  s.name = "many";
  s.type = "ClusterIP";
  s.cluster_ip = "None";
  s.headless = true;
  ServicePortView p;
  p.name = "http";
  p.port = 80;
  for (int i = 0; i < n; ++i) {
    const std::string ip = "127.244.1." + std::to_string(i);
    p.endpoints.push_back({ip, 8080, "many-" + std::to_string(i), ""});
    s.ready_addresses.push_back({ip, "", "many-" + std::to_string(i)});
  }
  s.ports.push_back(p);
  return s;
}

std::shared_ptr<const ServiceTable> table(uint64_t version, std::vector<ServiceView> services) {
  auto t = std::make_shared<ServiceTable>();
  t->version = version;
  t->services = std::move(services);
  return t;
}

// Options for a responder on an ephemeral port that never forwards (tests send traffic only to
// loopback; forwarding tests point upstreams at another responder).
ResponderOptions local() {
  ResponderOptions o;
  o.port = 0;
  o.forward = false;
  return o;
}

struct Harness {
  explicit Harness(ResponderOptions options = local(),
                   std::vector<ServiceView> services = {headless(60), web("127.96.0.10")})
      : responder(source, options) {
    source.publish(table(1, std::move(services)));
    const auto started = responder.start();
    INFO((started ? *started : started.error().message));
    REQUIRE(started);
    port = responder.udp_port();
    REQUIRE(port != 0);
  }
  ServiceTableSource source;
  Responder responder;
  uint16_t port = 0;
};

}  // namespace

TEST_CASE("dig gets the ClusterIP of a service over UDP and TCP") {
  Harness h;
  std::string out = dig(h.port, "web.default.svc.cluster.local A");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, "flags: qr aa rd;"));
  CHECK(has_line(out, R"(web\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+127\.96\.0\.10)"));

  out = dig(h.port, "+tcp web.default.svc.cluster.local A");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, R"(web\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+127\.96\.0\.10)"));
  CHECK(has_line(out, R"(\(TCP\))"));
}

TEST_CASE("dig: the question is echoed in the case it was asked") {
  Harness h;
  const std::string out = dig(h.port, "WEB.Default.svc.CLUSTER.local A");
  INFO(out);
  CHECK(has_line(out, R"(;WEB\.Default\.svc\.CLUSTER\.local\.\s+IN\s+A)"));
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));
}

TEST_CASE("dig: SRV, PTR and TXT") {
  Harness h;
  std::string out = dig(h.port, "_http._tcp.web.default.svc.cluster.local SRV");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, R"(IN\s+SRV\s+0 100 80 web\.default\.svc\.cluster\.local\.)"));
  CHECK(has_line(
      out,
      R"(ADDITIONAL SECTION:\n(.*\n)*web\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+127\.96\.0\.10)"));

  out = dig(h.port, "-x 127.96.0.10");
  INFO(out);
  CHECK(has_line(
      out,
      R"(10\.0\.96\.127\.in-addr\.arpa\.\s+5\s+IN\s+PTR\s+web\.default\.svc\.cluster\.local\.)"));

  out = dig(h.port, "dns-version.cluster.local TXT");
  INFO(out);
  CHECK(has_line(out, R"(dns-version\.cluster\.local\.\s+5\s+IN\s+TXT\s+"1\.1\.0")"));
}

TEST_CASE("dig: NXDOMAIN and NODATA carry the zone's SOA") {
  Harness h;
  std::string out = dig(h.port, "nope.default.svc.cluster.local A");
  INFO(out);
  CHECK(status_of(out) == "NXDOMAIN");
  CHECK(count_of(out, "ANSWER") == 0);
  CHECK(has_line(
      out,
      R"(AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. 1 7200 1800 86400 5)"));

  out = dig(h.port, "web.default.svc.cluster.local AAAA");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(count_of(out, "ANSWER") == 0);
  CHECK(count_of(out, "AUTHORITY") == 1);
  CHECK(has_line(out, R"(cluster\.local\.\s+5\s+IN\s+SOA)"));
}

TEST_CASE("dig: a large headless answer is truncated over UDP and complete over TCP") {
  Harness h;
  // Without EDNS the limit is 512 bytes: TC is set, and dig retries over TCP on its own.
  std::string out = dig(h.port, "+noedns +ignore many.default.svc.cluster.local A");
  INFO(out);
  CHECK(has_line(out, "flags: qr aa tc rd;"));
  CHECK(count_of(out, "ANSWER") < 60);
  CHECK(count_of(out, "ANSWER") > 0);

  out = dig(h.port, "+noedns many.default.svc.cluster.local A");
  INFO(out);
  CHECK(has_line(out, "Truncated, retrying in TCP mode"));
  CHECK(status_of(out) == "NOERROR");
  CHECK(count_of(out, "ANSWER") == 60);
  CHECK(has_line(out, R"(many\.default\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+127\.244\.1\.59)"));

  // With EDNS at 4096 the whole set fits in one datagram.
  out = dig(h.port, "+bufsize=4096 many.default.svc.cluster.local A");
  INFO(out);
  CHECK_FALSE(has_line(out, "Truncated"));
  CHECK(count_of(out, "ANSWER") == 60);
}

TEST_CASE("dig: answers follow the latest snapshot") {
  Harness h;
  std::string out = dig(h.port, "web.default.svc.cluster.local A");
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));

  h.source.publish(table(2, {web("127.96.0.11")}));
  out = dig(h.port, "web.default.svc.cluster.local A");
  INFO(out);
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.11)"));
  out = dig(h.port, "many.default.svc.cluster.local A");
  CHECK(status_of(out) == "NXDOMAIN");
  CHECK(has_line(out, R"(IN\s+SOA\s+\S+ \S+ 2 )"));  // the serial is the snapshot version

  h.source.publish(table(3, {}));
  out = dig(h.port, "web.default.svc.cluster.local A");
  CHECK(status_of(out) == "NXDOMAIN");
}

TEST_CASE("dig: several queries on one TCP connection") {
  Harness h;
  const std::string out =
      dig(h.port,
          "+tcp +keepopen web.default.svc.cluster.local A dns-version.cluster.local TXT "
          "_http._tcp.web.default.svc.cluster.local SRV");
  INFO(out);
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));
  CHECK(has_line(out, R"(IN\s+TXT\s+"1\.1\.0")"));
  CHECK(has_line(out, R"(IN\s+SRV\s+0 100 80)"));
}

TEST_CASE("dig: names outside the zone and clients outside the allowed CIDRs are refused") {
  {
    Harness h;
    const std::string out = dig(h.port, "example.org A");
    INFO(out);
    CHECK(status_of(out) == "REFUSED");
  }
  {
    ResponderOptions o = local();
    o.allowed_cidrs = {"10.0.0.0/8"};
    Harness h(o);
    std::string out = dig(h.port, "web.default.svc.cluster.local A");
    INFO(out);
    CHECK(status_of(out) == "REFUSED");
    out = dig(h.port, "+tcp web.default.svc.cluster.local A");
    CHECK(status_of(out) == "REFUSED");
  }
}

TEST_CASE("garbage does not stop the responder, a broken query gets FORMERR") {
  Harness h;
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(h.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A header claiming one question, followed by a compression pointer to itself.
  const uint8_t bad[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  REQUIRE(::sendto(fd, bad, sizeof bad, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(sizeof bad));
  const uint8_t tiny[] = {1, 2, 3};
  ::sendto(fd, tiny, sizeof tiny, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 3000) == 1);
  uint8_t reply[512];
  const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
  ::close(fd);
  REQUIRE(n == 12);
  CHECK(reply[0] == 0x12);
  CHECK(reply[1] == 0x34);
  CHECK((reply[2] & 0x80) != 0);  // QR
  CHECK((reply[3] & 0x0F) == 1);  // FORMERR

  const std::string out = dig(h.port, "web.default.svc.cluster.local A");
  CHECK(status_of(out) == "NOERROR");
}

TEST_CASE("several workers share the port and all answer") {
  ResponderOptions o = local();
  o.workers = 3;
  Harness h(o);
  for (int i = 0; i < 6; ++i) {
    const std::string out =
        dig(h.port, (i % 2 ? "+tcp " : "") + std::string("web.default.svc.cluster.local A"));
    INFO(out);
    CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));
  }
}

TEST_CASE("start reports what is wrong") {
  ServiceTableSource source;
  ResponderOptions o = local();
  o.allowed_cidrs = {"127.0.0.0/33"};
  Responder bad_cidr(source, o);
  auto r = bad_cidr.start();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("127.0.0.0/33") != std::string::npos);

  o.allowed_cidrs = {"127.0.0.0/8"};
  o.address = "not-an-address";
  Responder bad_address(source, o);
  r = bad_address.start();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("not-an-address") != std::string::npos);

  // The port is taken by a first responder (without SO_REUSEPORT the second would fail either way,
  // with it the kernel allows a second binder of the same user, so check a non-reusing socket).
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  socklen_t len = sizeof at;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len);
  o.address = "127.0.0.1";
  o.port = ntohs(at.sin_port);
  Responder in_use(source, o);
  r = in_use.start();
  ::close(fd);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("in use") != std::string::npos);
}

TEST_CASE("dig: other names are forwarded upstream, cached, and SERVFAIL when upstream is down") {
  // The upstream: another responder serving the zone upstream.test.
  ResponderOptions up_options = local();
  up_options.zone = "upstream.test";
  Harness upstream(up_options, {web("127.96.0.10")});

  ResponderOptions o = local();
  o.forward = true;
  o.upstreams = {"127.0.0.1:" + std::to_string(upstream.port)};
  o.upstream_timeout_ms = 500;
  Harness h(o);

  std::string out = dig(h.port, "web.default.svc.upstream.test A");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, "flags: qr rd ra;"));  // not authoritative: it came from upstream
  CHECK(has_line(out, R"(web\.default\.svc\.upstream\.test\.\s+[0-9]+\s+IN\s+A\s+127\.96\.0\.10)"));

  out = dig(h.port, "+tcp web.default.svc.upstream.test A");
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));

  out = dig(h.port, "nope.default.svc.upstream.test A");
  CHECK(status_of(out) == "NXDOMAIN");
  CHECK(has_line(out, R"(upstream\.test\.\s+[0-9]+\s+IN\s+SOA)"));

  // The upstream changes; within the TTL the forwarder answers from its cache.
  upstream.source.publish(table(2, {web("127.96.0.99")}));
  out = dig(h.port, "web.default.svc.upstream.test A");
  CHECK(has_line(out, R"(IN\s+A\s+127\.96\.0\.10)"));
  CHECK(dig(upstream.port, "web.default.svc.upstream.test A").find("127.96.0.99") !=
        std::string::npos);

  // Cluster names are still answered locally.
  out = dig(h.port, "web.default.svc.cluster.local A");
  CHECK(has_line(out, "flags: qr aa rd ra;"));

  // An upstream that does not answer: SERVFAIL, promptly.
  upstream.responder.stop();
  const auto start = std::chrono::steady_clock::now();
  out = dig(h.port, "other.default.svc.upstream.test A");
  INFO(out);
  CHECK(status_of(out) == "SERVFAIL");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("an idle TCP connection is closed") {
  ResponderOptions o = local();
  o.tcp_idle_timeout_ms = 300;
  Harness h(o);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(h.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  const auto start = std::chrono::steady_clock::now();
  pollfd p{fd, POLLIN, 0};
  REQUIRE(::poll(&p, 1, 3000) == 1);
  char byte = 0;
  CHECK(::recv(fd, &byte, 1, 0) == 0);  // orderly close by the server
  const auto waited = std::chrono::steady_clock::now() - start;
  ::close(fd);
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::milliseconds(2500));
}

TEST_CASE(
    "an upstream that swallows queries gives SERVFAIL after its timeout; stop does not wait") {
  // A UDP socket that never reads: queries to it are never answered.
  const int blackhole = ::socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(blackhole >= 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(blackhole, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  socklen_t len = sizeof at;
  ::getsockname(blackhole, reinterpret_cast<sockaddr*>(&at), &len);

  ResponderOptions o = local();
  o.forward = true;
  o.upstreams = {"127.0.0.1:" + std::to_string(ntohs(at.sin_port))};
  o.upstream_timeout_ms = 300;
  auto h = std::make_unique<Harness>(o);

  const std::string out = dig(h->port, "+time=5 +tries=1 lost.example A");
  INFO(out);
  CHECK(status_of(out) == "SERVFAIL");

  // A query still pending upstream when the responder stops.
  const int client = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(h->port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const uint8_t q[] = {0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'l', 'o', 's', 't', 0, 0, 1, 0, 1};
  REQUIRE(::sendto(client, q, sizeof q, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(sizeof q));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  h->responder.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  h.reset();
  ::close(client);
  ::close(blackhole);
}

TEST_CASE("dig: AAAA for an IPv6 ClusterIP, CNAME for an ExternalName, pod records unless off") {
  ServiceView v6 = web("fd00::10");
  v6.name = "v6";
  ServiceView ext = web("");
  ext.name = "ext";
  ext.type = "ExternalName";
  ext.external_name = "example.org";
  ext.ports.clear();
  ext.ready_addresses.clear();
  {
    Harness h(local(), {ext, v6, web("127.96.0.10")});
    std::string out = dig(h.port, "v6.default.svc.cluster.local AAAA");
    INFO(out);
    CHECK(has_line(out, R"(v6\.default\.svc\.cluster\.local\.\s+5\s+IN\s+AAAA\s+fd00::10)"));
    out = dig(h.port, "ext.default.svc.cluster.local A");
    INFO(out);
    CHECK(
        has_line(out, R"(ext\.default\.svc\.cluster\.local\.\s+5\s+IN\s+CNAME\s+example\.org\.)"));
    out = dig(h.port, "-x fd00::10");
    INFO(out);
    CHECK(has_line(out, R"(ip6\.arpa\.\s+5\s+IN\s+PTR\s+v6\.default\.svc\.cluster\.local\.)"));
    out = dig(h.port, "127-244-7-9.default.pod.cluster.local A");
    INFO(out);
    CHECK(has_line(out,
                   R"(127-244-7-9\.default\.pod\.cluster\.local\.\s+5\s+IN\s+A\s+127\.244\.7\.9)"));
  }
  {
    ResponderOptions o = local();
    o.pod_records = false;
    o.ttl = 30;
    Harness h(o);
    std::string out = dig(h.port, "127-244-7-9.default.pod.cluster.local A");
    INFO(out);
    CHECK(status_of(out) == "NXDOMAIN");
    CHECK(has_line(out, R"(cluster\.local\.\s+30\s+IN\s+SOA)"));
    out = dig(h.port, "web.default.svc.cluster.local A");
    CHECK(has_line(out, R"(web\.default\.svc\.cluster\.local\.\s+30\s+IN\s+A\s+127\.96\.0\.10)"));
  }
}

TEST_CASE("a second responder on a port another one serves is refused, not joined") {
  Harness h;
  ResponderOptions second_options = local();
  second_options.port = h.port;
  ServiceTableSource other_source;
  other_source.publish(table(1, {web("127.96.0.99")}));
  Responder second(other_source, second_options);
  const auto started = second.start();
  REQUIRE_FALSE(started);
  INFO(started.error().message);
  CHECK(started.error().message.find("Address already in use") != std::string::npos);
  // Every answer still comes from the first responder's zone: the second never joined the
  // SO_REUSEPORT group and took a share of the queries.
  for (int i = 0; i < 20; ++i) {
    std::string out = dig(h.port, "web.default.svc.cluster.local A");
    REQUIRE(has_line(out, R"(\s+IN\s+A\s+127\.96\.0\.10)"));
  }
}
