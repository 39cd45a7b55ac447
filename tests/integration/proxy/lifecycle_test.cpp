// Endpoints leaving (draining), Services leaving, connection limits, running out of descriptors,
// a second proxy on the same port, UDP flows moving off a departed endpoint, and the metrics.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <catch2/catch.hpp>

#include "proxy_harness.h"

using namespace skiff::proxy::test;

namespace {

std::pair<Fd, std::string> hold(uint16_t port) {
  Fd fd = connect_to(kNode, port);
  REQUIRE(fd.valid());
  std::string line = read_n(fd.get(), 2);
  return {std::move(fd), line.empty() ? "" : line.substr(0, 1)};
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_CASE("an endpoint's connections outlive its removal until the drain timeout",
          "[proxy][integration][lifecycle]") {
  Backend a("a", Backend::Mode::kNameThenEcho), b("b", Backend::Mode::kNameThenEcho);
  Harness h;
  const std::map<std::string, std::string> drain{{"proxy.skiff.io/drain-timeout", "600ms"}};
  h.publish({load_balancer(24040, endpoints_of({&a, &b}), drain)});
  auto [on_a, name] = hold(24040);
  REQUIRE(name == "a");
  const auto removed = std::chrono::steady_clock::now();
  h.publish({load_balancer(24040, endpoints_of({&b}), drain)});
  // Still relaying after the removal...
  REQUIRE(write_all(on_a.get(), "still here"));
  CHECK(read_n(on_a.get(), 10) == "still here");
  // ...until the drain timeout closes it.
  auto r = read_all(on_a.get());
  CHECK(r.eof);
  const auto lived = std::chrono::steady_clock::now() - removed;
  CHECK(lived >= 500ms);
  CHECK(lived < 2s);
  CHECK(hold(24040).second == "b");
}

TEST_CASE("deleting a Service closes its listeners and its connections",
          "[proxy][integration][lifecycle]") {
  Backend a("a", Backend::Mode::kNameThenEcho);
  Harness h(2);
  h.publish({load_balancer(24041, endpoints_of({&a}))});
  auto [first, n1] = hold(24041);
  auto [second, n2] = hold(24041);
  REQUIRE(n1 == "a");
  REQUIRE(n2 == "a");
  h.publish({});
  for (Fd* fd : {&first, &second}) {
    auto r = read_all(fd->get());
    CHECK((r.eof || r.error == ECONNRESET));
    CHECK(r.error != EAGAIN);  // closed, not merely quiet until the read timeout
  }
  CHECK_FALSE(connect_to(kNode, 24041).valid());
}

TEST_CASE("max-connections refuses the connection over the limit and recovers",
          "[proxy][integration][lifecycle]") {
  Backend a("a", Backend::Mode::kNameThenEcho);
  Harness h(2);
  h.publish({load_balancer(24042, endpoints_of({&a}), {{"proxy.skiff.io/max-connections", "3"}})});
  std::vector<Fd> open;
  for (int i = 0; i < 3; ++i) open.push_back(hold(24042).first);
  Fd over = connect_to(kNode, 24042);
  REQUIRE(over.valid());
  auto r = read_all(over.get());
  CHECK(r.data.empty());
  CHECK(r.error == ECONNRESET);
  CHECK(h.metric("skiff_proxy_refused_total", {"default", "web", "24042", "limit"}) == 1);
  open.pop_back();
  // Once the proxy has seen the close, there is room again.
  REQUIRE(eventually([&] {
    return h.metric("skiff_proxy_active_connections", {"default", "web", "24042", "TCP"}) == 2;
  }));
  CHECK(hold(24042).second == "a");
}

TEST_CASE("running out of descriptors pauses accepting and recovers without spinning",
          "[proxy][integration][lifecycle]") {
  Backend a("a", Backend::Mode::kName);
  Harness h;
  h.publish({load_balancer(24043, endpoints_of({&a}))});
  REQUIRE(ask(kNode, 24043) == "a");

  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  // The limit comes back however the case ends (a failed REQUIRE skips the lines below).
  struct RestoreLimit {
    rlimit limit;
    ~RestoreLimit() { ::setrlimit(RLIMIT_NOFILE, &limit); }
  } restore{saved};
  // Take every descriptor but one under a lowered limit: the client's socket gets the last
  // one, so the proxy's accept fails with EMFILE.
  std::vector<Fd> ballast;
  rlimit lowered = saved;
  lowered.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  for (;;) {
    Fd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) break;
    ballast.push_back(std::move(fd));
  }
  REQUIRE(errno == EMFILE);
  ballast.pop_back();  // room for the client socket only
  Fd client = connect_to(kNode, 24043);
  REQUIRE(client.valid());  // the kernel completes the handshake into the backlog

  // Paused, not spinning: over 500 ms the process burns far less than a core.
  const double cpu_before = cpu_seconds();
  std::this_thread::sleep_for(500ms);
  CHECK(cpu_seconds() - cpu_before < 0.15);
  CHECK(h.metric("skiff_proxy_accept_errors_total", {"emfile"}) >= 1);

  ballast.clear();
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  // The paused accept is retried and the waiting client is served.
  auto r = read_all(client.get());
  CHECK(r.eof);
  CHECK(r.data == "a");
  CHECK(ask(kNode, 24043) == "a");
}

TEST_CASE("a second proxy cannot share a port the first one listens on",
          "[proxy][integration][lifecycle]") {
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName);
  Harness first;
  first.publish({load_balancer(24044, endpoints_of({&a}))});
  REQUIRE(first.proxy().errors().empty());
  Harness second;
  second.publish({load_balancer(24044, endpoints_of({&b}))});
  CHECK(second.proxy().errors() ==
        std::vector<std::string>{
            "default/web port 24044: bind 127.0.0.1:24044: Address already in use",
            "default/web port 24044: bind 127.96.200.10:24044: Address already in use"});
  CHECK(second.proxy().listening().empty());
  // Every connection still reaches the first proxy's endpoint.
  for (int i = 0; i < 10; ++i) CHECK(ask(kNode, 24044) == "a");
}

TEST_CASE("a UDP flow whose endpoint left moves to a live one on its next datagram",
          "[proxy][integration][lifecycle][udp]") {
  UdpBackend u1("u1"), u2("u2");
  auto dns = [&](std::vector<const UdpBackend*> backends) {
    skiff::controller::ServiceView s;
    s.ns = "default";
    s.name = "dns";
    s.type = "ClusterIP";
    s.cluster_ip = "127.96.200.13";
    s.annotations = {{"proxy.skiff.io/udp-idle-timeout", "1h"}};
    skiff::controller::ServicePortView p;
    p.protocol = "UDP";
    p.port = 24045;
    for (const UdpBackend* b : backends)
      p.endpoints.push_back({"127.0.0.1", b->port(), b->name(), ""});
    s.ports.push_back(p);
    return s;
  };
  Harness h;
  h.publish({dns({&u1, &u2})});
  UdpClient client;
  CHECK(client.ask("127.96.200.13", 24045, "q1").first == "u1:q1");
  CHECK(client.ask("127.96.200.13", 24045, "q2").first == "u1:q2");
  h.publish({dns({&u2})});
  // No blackhole: the very next datagram of the same client reaches the live endpoint.
  CHECK(client.ask("127.96.200.13", 24045, "q3").first == "u2:q3");
  CHECK(client.ask("127.96.200.13", 24045, "q4").first == "u2:q4");
  CHECK(h.metric("skiff_proxy_connections_total", {"default", "dns", "24045", "UDP"}) == 2);
  // Counted just after each reply is sent, so possibly just after the client read it.
  CHECK(eventually([&] {
    return h.metric("skiff_proxy_udp_packets_total", {"default", "dns", "24045", "to_client"}) == 4;
  }));
}

TEST_CASE("proxy metrics count connections and refusals and bytes per Service port",
          "[proxy][integration][lifecycle][metrics]") {
  Backend a("a", Backend::Mode::kName);
  Harness h(2);
  auto named = load_balancer(24046, endpoints_of({&a}));
  named.ports[0].name = "http";
  auto empty = load_balancer(24047, {});
  empty.name = "empty";
  empty.cluster_ip = "127.96.200.14";
  h.publish({named, empty});
  for (int i = 0; i < 5; ++i) REQUIRE(ask(kNode, 24046) == "a");
  Fd refused = connect_to(kNode, 24047);
  read_all(refused.get());
  CHECK(h.metric("skiff_proxy_connections_total", {"default", "web", "http", "TCP"}) == 5);
  CHECK(eventually([&] {
    return h.metric("skiff_proxy_active_connections", {"default", "web", "http", "TCP"}) == 0;
  }));
  CHECK(h.metric("skiff_proxy_refused_total", {"default", "empty", "24047", "no_endpoint"}) == 1);
  CHECK(h.metric("skiff_proxy_bytes_total", {"default", "web", "http", "to_client"}) == 5);
  // A Service that leaves takes its series with it.
  h.publish({named});
  CHECK(h.metric("skiff_proxy_refused_total", {"default", "empty", "24047", "no_endpoint"}) == 0);
}
