#include "proxy/proxy.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <thread>

#include "proxy_harness.h"

using namespace std::chrono_literals;
using namespace skiff::proxy::test;
using skiff::controller::EndpointView;
using skiff::controller::ServicePortView;
using skiff::controller::ServiceView;

TEST_CASE("40 connections over 4 endpoints give exactly 10 each", "[proxy][integration]") {
  const int workers = GENERATE(1, 2);
  CAPTURE(workers);
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName), c("c", Backend::Mode::kName),
      d("d", Backend::Mode::kName);
  Harness h(workers);
  h.publish({load_balancer(24000, endpoints_of({&a, &b, &c, &d}))});
  CHECK(h.proxy().listening() ==
        std::vector<std::string>{"TCP 127.0.0.1:24000", "TCP 127.96.200.10:24000"});
  CHECK(h.proxy().errors().empty());

  // Alternate the node address and the cluster IP: both listeners share the rotation.
  std::map<std::string, int> counts;
  for (int i = 0; i < 40; ++i) ++counts[ask(i % 2 ? kClusterIp : kNode, 24000)];
  CHECK(counts == std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}});

  // A new snapshot with the same endpoints keeps the listeners and the rotation going.
  h.publish({load_balancer(24000, endpoints_of({&a, &b, &c, &d}))});
  counts.clear();
  for (int i = 0; i < 8; ++i) ++counts[ask(kNode, 24000)];
  CHECK(counts == std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}});
}

TEST_CASE("a service without ready endpoints resets the client at once", "[proxy][integration]") {
  Harness h;
  h.publish({load_balancer(24001, {})});
  REQUIRE(h.proxy().listening().size() == 2);
  const auto started = std::chrono::steady_clock::now();
  Fd fd = connect_to(kClusterIp, 24001);
  REQUIRE(fd.valid());
  auto r = read_all(fd.get());
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(r.data.empty());
  CHECK((r.eof || r.error == ECONNRESET));
  CHECK(elapsed < 500ms);
}

TEST_CASE("refused endpoints are skipped for the next one", "[proxy][integration]") {
  Backend live("live", Backend::Mode::kName);
  std::vector<EndpointView> endpoints = endpoints_of({&live});
  endpoints.insert(endpoints.begin(),
                   EndpointView{"127.0.0.1", skiff::proxy::test::refused_port(), "dead", ""});
  Harness h;
  h.publish({load_balancer(24002, endpoints)});
  for (int i = 0; i < 4; ++i) CHECK(ask(kNode, 24002) == "live");
  CHECK(live.accepted() == 4);
}

TEST_CASE("all endpoints refusing resets the client", "[proxy][integration]") {
  Harness h;
  h.publish({load_balancer(
      24003, {EndpointView{"127.0.0.1", skiff::proxy::test::refused_port(), "dead", ""}})});
  Fd fd = connect_to(kNode, 24003);
  REQUIRE(fd.valid());
  auto r = read_all(fd.get());
  CHECK(r.data.empty());
  CHECK(r.error == ECONNRESET);
}

TEST_CASE("removing an endpoint keeps established connections and moves new ones",
          "[proxy][integration]") {
  Backend a("a", Backend::Mode::kNameThenEcho), b("b", Backend::Mode::kNameThenEcho);
  Harness h;
  h.publish({load_balancer(24004, endpoints_of({&a, &b}))});

  Fd first = connect_to(kNode, 24004);
  REQUIRE(first.valid());
  REQUIRE(read_n(first.get(), 2) == "a\n");  // the rotation starts at the first endpoint

  h.publish({load_balancer(24004, endpoints_of({&b}))});
  REQUIRE(write_all(first.get(), "still here"));
  CHECK(read_n(first.get(), 10) == "still here");

  for (int i = 0; i < 3; ++i) {
    Fd fd = connect_to(kNode, 24004);
    REQUIRE(fd.valid());
    CHECK(read_n(fd.get(), 2) == "b\n");
  }
  REQUIRE(write_all(first.get(), "and still"));
  CHECK(read_n(first.get(), 9) == "and still");
}

TEST_CASE("half-close: the client's EOF reaches the backend and its reply comes back",
          "[proxy][integration]") {
  Backend counter("counter", Backend::Mode::kReplyAfterEof);
  Harness h;
  h.publish({load_balancer(24005, endpoints_of({&counter}))});
  Fd fd = connect_to(kNode, 24005);
  REQUIRE(fd.valid());
  REQUIRE(write_all(fd.get(), "hello"));
  REQUIRE(::shutdown(fd.get(), SHUT_WR) == 0);
  auto r = read_all(fd.get());
  CHECK(r.eof);
  CHECK(r.data == "counter:5");
}

TEST_CASE("1 MiB goes through both ways byte for byte", "[proxy][integration]") {
  Backend echo("echo", Backend::Mode::kEcho);
  Harness h;
  h.publish({load_balancer(24006, endpoints_of({&echo}))});
  const std::string payload = pseudo_random(1 << 20, 12345);
  const Exchange x = exchange(kClusterIp, 24006, payload);
  REQUIRE(x.connected);
  CHECK(x.sent);
  CHECK(x.back.eof);
  REQUIRE(x.back.data.size() == payload.size());
  CHECK(x.back.data == payload);
}

TEST_CASE("a service leaving the snapshot closes its listeners", "[proxy][integration]") {
  Backend a("a", Backend::Mode::kName);
  Harness h(2);
  h.publish({load_balancer(24007, endpoints_of({&a}))});
  REQUIRE(ask(kNode, 24007) == "a");
  h.publish({});
  CHECK(h.proxy().listening().empty());
  Fd fd = connect_to(kNode, 24007);
  CHECK_FALSE(fd.valid());
  CHECK(errno == ECONNREFUSED);
  fd = connect_to(kClusterIp, 24007);
  CHECK_FALSE(fd.valid());
}

TEST_CASE("a port already taken is reported and the other listeners still work",
          "[proxy][integration]") {
  Backend a("a", Backend::Mode::kName);
  Fd occupant(::socket(AF_INET, SOCK_STREAM, 0));
  // SO_REUSEADDR only so TIME_WAIT left by an earlier run does not stop the occupant; without
  // SO_REUSEPORT the proxy still cannot share the port with it.
  int one = 1;
  ::setsockopt(occupant.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto addr = skiff::proxy::test::make_sockaddr(kNode, 24008);
  REQUIRE(::bind(occupant.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(occupant.get(), 4) == 0);

  Harness h;
  h.publish({load_balancer(24008, endpoints_of({&a}))});
  CHECK(h.proxy().errors() ==
        std::vector<std::string>{"default/web port 24008: bind 127.0.0.1:24008: Address already "
                                 "in use"});
  CHECK(h.proxy().listening() == std::vector<std::string>{"TCP 127.96.200.10:24008"});
  CHECK(ask(kClusterIp, 24008) == "a");

  // Once the port is free, the next snapshot binds it.
  occupant.reset();
  h.publish({load_balancer(24008, endpoints_of({&a}))});
  CHECK(h.proxy().errors().empty());
  CHECK(ask(kNode, 24008) == "a");
}

TEST_CASE("stop closes established sessions and listeners", "[proxy][integration]") {
  Backend a("a", Backend::Mode::kNameThenEcho);
  auto h = std::make_unique<Harness>(2);
  h->publish({load_balancer(24009, endpoints_of({&a}))});
  Fd fd = connect_to(kNode, 24009);
  REQUIRE(fd.valid());
  REQUIRE(read_n(fd.get(), 2) == "a\n");
  const auto started = std::chrono::steady_clock::now();
  h->proxy().stop();
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  auto r = read_all(fd.get());
  CHECK((r.eof || r.error == ECONNRESET));
  CHECK(h->proxy().listening().empty());
  CHECK_FALSE(connect_to(kNode, 24009).valid());
  h->proxy().stop();  // idempotent
}

TEST_CASE("UDP: each client is a flow that sticks to one endpoint until idle",
          "[proxy][integration][udp]") {
  using skiff::proxy::test::UdpBackend;
  using skiff::proxy::test::UdpClient;
  UdpBackend u1("u1"), u2("u2"), u3("u3");
  ServiceView dns;
  dns.ns = "default";
  dns.name = "dns";
  dns.type = "ClusterIP";
  dns.cluster_ip = "127.96.200.11";
  ServicePortView p;
  p.protocol = "UDP";
  p.port = 24053;
  for (const UdpBackend* b : {&u1, &u2, &u3})
    p.endpoints.push_back({"127.0.0.1", b->port(), b->name(), ""});
  dns.ports.push_back(p);
  Harness h;
  h.publish({dns});
  CHECK(h.proxy().listening() == std::vector<std::string>{"UDP 127.96.200.11:24053"});

  UdpClient a, b;
  auto [reply, from] = a.ask("127.96.200.11", 24053, "x1");
  CHECK(reply == "u1:x1");
  CHECK(from == "127.96.200.11:24053");  // replies come from the Service address
  CHECK(a.ask("127.96.200.11", 24053, "x2").first == "u1:x2");
  CHECK(b.ask("127.96.200.11", 24053, "y1").first == "u2:y1");
  CHECK(a.ask("127.96.200.11", 24053, "x3").first == "u1:x3");

  // After the idle timeout (300 ms) a's flow is gone; its next datagram starts a new flow.
  std::this_thread::sleep_for(800ms);
  CHECK(a.ask("127.96.200.11", 24053, "x4").first == "u3:x4");
}

TEST_CASE("every address of a Service answers: its ports, node ports and external IPs",
          "[proxy][integration][addresses]") {
  // One NodePort Service with two named ports to different backends and an external IP, next
  // to a headless Service with the same ports: bytes go through each address the first one
  // serves, and the headless one gets nothing.
  Backend web("web", Backend::Mode::kName), admin("admin", Backend::Mode::kName);
  ServiceView s;
  s.ns = "default";
  s.name = "shop";
  s.type = "NodePort";
  s.cluster_ip = "127.96.200.20";
  s.external_ips = {"127.96.201.20"};
  ServicePortView http;
  http.name = "http";
  http.port = 24060;
  http.node_port = 24061;
  http.endpoints = endpoints_of({&web});
  ServicePortView metrics;
  metrics.name = "admin";
  metrics.port = 24062;
  metrics.node_port = 24063;
  metrics.endpoints = endpoints_of({&admin});
  s.ports = {http, metrics};
  ServiceView headless = s;
  headless.name = "shop-pods";
  headless.type = "ClusterIP";
  headless.cluster_ip = "None";
  headless.headless = true;
  headless.external_ips.clear();
  for (auto& p : headless.ports) {
    p.port += 10;  // 24070, 24072: free, so a listener there could only be the headless one's
    p.node_port = 0;
  }

  Harness h;
  h.publish({s, headless});
  CHECK(h.proxy().errors().empty());
  CHECK(h.proxy().listening() ==
        std::vector<std::string>{"TCP 127.0.0.1:24061", "TCP 127.0.0.1:24063",
                                 "TCP 127.96.200.20:24060", "TCP 127.96.200.20:24062",
                                 "TCP 127.96.201.20:24060", "TCP 127.96.201.20:24062"});
  CHECK(ask("127.96.200.20", 24060) == "web");
  CHECK(ask("127.96.200.20", 24062) == "admin");
  CHECK(ask(kNode, 24061) == "web");
  CHECK(ask(kNode, 24063) == "admin");
  CHECK(ask("127.96.201.20", 24060) == "web");
  CHECK(ask("127.96.201.20", 24062) == "admin");
  // NodePort: the node address serves the node ports only, not the Service ports.
  CHECK(ask(kNode, 24060).rfind("connect failed", 0) == 0);
  CHECK(ask(kNode, 24070).rfind("connect failed", 0) == 0);
  CHECK(ask(kNode, 24072).rfind("connect failed", 0) == 0);

  // The external IP leaves with the next snapshot; the Service's other addresses stay.
  s.external_ips.clear();
  h.publish({s, headless});
  CHECK(ask("127.96.201.20", 24060).rfind("connect failed", 0) == 0);
  CHECK(ask("127.96.200.20", 24060) == "web");
  CHECK(ask(kNode, 24063) == "admin");
}
