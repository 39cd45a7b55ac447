#include "proxy/proxy.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <thread>

#include "test_net.h"

using namespace std::chrono_literals;
using skiff::controller::EndpointView;
using skiff::controller::ServicePortView;
using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::controller::ServiceView;
using skiff::proxy::Proxy;
using skiff::proxy::ProxyOptions;
using skiff::proxy::test::Backend;
using skiff::proxy::test::connect_to;
using skiff::proxy::test::Fd;
using skiff::proxy::test::read_all;
using skiff::proxy::test::read_n;
using skiff::proxy::test::write_all;

namespace {

// Addresses chosen away from what the daemon's allocators hand out, so tests of other folders
// running at the same time do not collide with these listeners.
constexpr const char* kClusterIp = "127.96.200.10";
constexpr const char* kNode = "127.0.0.1";

std::vector<EndpointView> endpoints_of(const std::vector<const Backend*>& backends) {
  std::vector<EndpointView> out;
  for (const Backend* b : backends) out.push_back({"127.0.0.1", b->port(), b->name(), ""});
  return out;
}

ServiceView load_balancer(uint16_t port, std::vector<EndpointView> endpoints) {
  ServiceView s;
  s.ns = "default";
  s.name = "web";
  s.type = "LoadBalancer";
  s.cluster_ip = kClusterIp;
  ServicePortView p;
  p.port = port;
  p.endpoints = std::move(endpoints);
  s.ports.push_back(std::move(p));
  return s;
}

// Publishes a table of these services as the next version and waits for the proxy to apply it.
class Harness {
 public:
  explicit Harness(int workers = 1) : proxy_(source_, options(workers)) { proxy_.start(); }

  static ProxyOptions options(int workers) {
    ProxyOptions o;
    o.workers = workers;
    o.node_address = kNode;
    o.connect_timeout = 1000ms;
    o.udp_idle_timeout = 300ms;
    return o;
  }

  void publish(std::vector<ServiceView> services) {
    auto table = std::make_shared<ServiceTable>();
    table->version = ++version_;
    table->services = std::move(services);
    source_.publish(table);
    REQUIRE(proxy_.wait_applied(version_, 5s));
  }

  Proxy& proxy() { return proxy_; }

 private:
  ServiceTableSource source_;
  Proxy proxy_;
  uint64_t version_ = 0;
};

// The name a kName backend answers with through the proxy.
std::string ask(const std::string& ip, uint16_t port) {
  Fd fd = connect_to(ip, port);
  if (!fd.valid()) return "connect failed: " + std::string(std::strerror(errno));
  auto r = read_all(fd.get());
  return r.eof ? r.data : "error: " + std::string(std::strerror(r.error));
}

}  // namespace

TEST_CASE("40 connections over 4 endpoints give exactly 10 each", "[proxy][integration]") {
  const int workers = GENERATE(1, 2);
  CAPTURE(workers);
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName), c("c", Backend::Mode::kName),
      d("d", Backend::Mode::kName);
  Harness h(workers);
  h.publish({load_balancer(36000, endpoints_of({&a, &b, &c, &d}))});
  CHECK(h.proxy().listening() ==
        std::vector<std::string>{"TCP 127.0.0.1:36000", "TCP 127.96.200.10:36000"});
  CHECK(h.proxy().errors().empty());

  // Alternate the node address and the cluster IP: both listeners share the rotation.
  std::map<std::string, int> counts;
  for (int i = 0; i < 40; ++i) ++counts[ask(i % 2 ? kClusterIp : kNode, 36000)];
  CHECK(counts == std::map<std::string, int>{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}});

  // A new snapshot with the same endpoints keeps the listeners and the rotation going.
  h.publish({load_balancer(36000, endpoints_of({&a, &b, &c, &d}))});
  counts.clear();
  for (int i = 0; i < 8; ++i) ++counts[ask(kNode, 36000)];
  CHECK(counts == std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}});
}

TEST_CASE("a service without ready endpoints resets the client at once", "[proxy][integration]") {
  Harness h;
  h.publish({load_balancer(36001, {})});
  REQUIRE(h.proxy().listening().size() == 2);
  const auto started = std::chrono::steady_clock::now();
  Fd fd = connect_to(kClusterIp, 36001);
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
  h.publish({load_balancer(36002, endpoints)});
  for (int i = 0; i < 4; ++i) CHECK(ask(kNode, 36002) == "live");
  CHECK(live.accepted() == 4);
}

TEST_CASE("all endpoints refusing resets the client", "[proxy][integration]") {
  Harness h;
  h.publish({load_balancer(
      36003, {EndpointView{"127.0.0.1", skiff::proxy::test::refused_port(), "dead", ""}})});
  Fd fd = connect_to(kNode, 36003);
  REQUIRE(fd.valid());
  auto r = read_all(fd.get());
  CHECK(r.data.empty());
  CHECK(r.error == ECONNRESET);
}

TEST_CASE("removing an endpoint keeps established connections and moves new ones",
          "[proxy][integration]") {
  Backend a("a", Backend::Mode::kNameThenEcho), b("b", Backend::Mode::kNameThenEcho);
  Harness h;
  h.publish({load_balancer(36004, endpoints_of({&a, &b}))});

  Fd first = connect_to(kNode, 36004);
  REQUIRE(first.valid());
  REQUIRE(read_n(first.get(), 2) == "a\n");  // the rotation starts at the first endpoint

  h.publish({load_balancer(36004, endpoints_of({&b}))});
  REQUIRE(write_all(first.get(), "still here"));
  CHECK(read_n(first.get(), 10) == "still here");

  for (int i = 0; i < 3; ++i) {
    Fd fd = connect_to(kNode, 36004);
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
  h.publish({load_balancer(36005, endpoints_of({&counter}))});
  Fd fd = connect_to(kNode, 36005);
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
  h.publish({load_balancer(36006, endpoints_of({&echo}))});
  std::string payload(1 << 20, '\0');
  uint32_t x = 12345;
  for (auto& ch : payload) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 24);
  }
  Fd fd = connect_to(kClusterIp, 36006);
  REQUIRE(fd.valid());
  bool sent = false;
  std::thread writer([&] {
    sent = write_all(fd.get(), payload);
    ::shutdown(fd.get(), SHUT_WR);
  });
  auto r = read_all(fd.get(), payload.size() + 1);
  writer.join();
  CHECK(sent);
  CHECK(r.eof);
  REQUIRE(r.data.size() == payload.size());
  CHECK(r.data == payload);
}

TEST_CASE("a service leaving the snapshot closes its listeners", "[proxy][integration]") {
  Backend a("a", Backend::Mode::kName);
  Harness h(2);
  h.publish({load_balancer(36007, endpoints_of({&a}))});
  REQUIRE(ask(kNode, 36007) == "a");
  h.publish({});
  CHECK(h.proxy().listening().empty());
  Fd fd = connect_to(kNode, 36007);
  CHECK_FALSE(fd.valid());
  CHECK(errno == ECONNREFUSED);
  fd = connect_to(kClusterIp, 36007);
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
  auto addr = skiff::proxy::test::make_sockaddr(kNode, 36008);
  REQUIRE(::bind(occupant.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(occupant.get(), 4) == 0);

  Harness h;
  h.publish({load_balancer(36008, endpoints_of({&a}))});
  CHECK(h.proxy().errors() ==
        std::vector<std::string>{"default/web port 36008: bind 127.0.0.1:36008: Address already "
                                 "in use"});
  CHECK(h.proxy().listening() == std::vector<std::string>{"TCP 127.96.200.10:36008"});
  CHECK(ask(kClusterIp, 36008) == "a");

  // Once the port is free, the next snapshot binds it.
  occupant.reset();
  h.publish({load_balancer(36008, endpoints_of({&a}))});
  CHECK(h.proxy().errors().empty());
  CHECK(ask(kNode, 36008) == "a");
}

TEST_CASE("stop closes established sessions and listeners", "[proxy][integration]") {
  Backend a("a", Backend::Mode::kNameThenEcho);
  auto h = std::make_unique<Harness>(2);
  h->publish({load_balancer(36009, endpoints_of({&a}))});
  Fd fd = connect_to(kNode, 36009);
  REQUIRE(fd.valid());
  REQUIRE(read_n(fd.get(), 2) == "a\n");
  const auto started = std::chrono::steady_clock::now();
  h->proxy().stop();
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  auto r = read_all(fd.get());
  CHECK((r.eof || r.error == ECONNRESET));
  CHECK(h->proxy().listening().empty());
  CHECK_FALSE(connect_to(kNode, 36009).valid());
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
  p.port = 36053;
  for (const UdpBackend* b : {&u1, &u2, &u3})
    p.endpoints.push_back({"127.0.0.1", b->port(), b->name(), ""});
  dns.ports.push_back(p);
  Harness h;
  h.publish({dns});
  CHECK(h.proxy().listening() == std::vector<std::string>{"UDP 127.96.200.11:36053"});

  UdpClient a, b;
  auto [reply, from] = a.ask("127.96.200.11", 36053, "x1");
  CHECK(reply == "u1:x1");
  CHECK(from == "127.96.200.11:36053");  // replies come from the Service address
  CHECK(a.ask("127.96.200.11", 36053, "x2").first == "u1:x2");
  CHECK(b.ask("127.96.200.11", 36053, "y1").first == "u2:y1");
  CHECK(a.ask("127.96.200.11", 36053, "x3").first == "u1:x3");

  // After the idle timeout (300 ms) a's flow is gone; its next datagram starts a new flow.
  std::this_thread::sleep_for(800ms);
  CHECK(a.ask("127.96.200.11", 36053, "x4").first == "u3:x4");
}
