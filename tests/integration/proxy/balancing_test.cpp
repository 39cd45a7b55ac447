// Policies seen from clients: client-IP affinity, least-connections, power-of-two-choices, and
// passive outlier detection keeping a dead endpoint from costing any client an error.
#include <catch2/catch.hpp>
#include <mutex>
#include <set>

#include "proxy_harness.h"

using namespace skiff::proxy::test;

namespace {

// Connects from a chosen loopback source address, so one test can be many client IPs.
Fd connect_from(const std::string& source, const std::string& ip, uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  set_timeouts(fd.get());
  auto from = make_sockaddr(source, 0);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  auto to = make_sockaddr(ip, port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) fd.reset();
  return fd;
}

std::string ask_from(const std::string& source, uint16_t port) {
  Fd fd = connect_from(source, kNode, port);
  if (!fd.valid()) return "connect failed";
  auto r = read_all(fd.get());
  return r.eof ? r.data : "error";
}

// Opens a connection to a kNameThenEcho backend and returns it with the backend's name.
std::pair<Fd, std::string> hold(uint16_t port) {
  Fd fd = connect_to(kNode, port);
  REQUIRE(fd.valid());
  std::string line = read_n(fd.get(), 2);
  REQUIRE(line.size() == 2);
  return {std::move(fd), line.substr(0, 1)};
}

}  // namespace

TEST_CASE("sessionAffinity ClientIP sends each client IP to one endpoint",
          "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName), c("c", Backend::Mode::kName);
  Harness h(2);  // two workers: a client's connections land on both
  auto service = load_balancer(24030, endpoints_of({&a, &b, &c}));
  service.session_affinity = "ClientIP";
  service.session_affinity_timeout_seconds = 60;
  h.publish({service});
  std::set<std::string> seen;
  for (int client = 1; client <= 6; ++client) {
    const std::string source = "127.0.1." + std::to_string(client);
    const std::string first = ask_from(source, 24030);
    REQUIRE(first.size() == 1);
    seen.insert(first);
    for (int i = 0; i < 8; ++i) CHECK(ask_from(source, 24030) == first);
  }
  CHECK(seen.size() == 3);  // different clients still spread over the endpoints
}

TEST_CASE("sessionAffinity ClientIP moves a client whose endpoint left",
          "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName);
  Harness h;
  auto service = load_balancer(24031, endpoints_of({&a, &b}));
  service.session_affinity = "ClientIP";
  h.publish({service});
  const std::string first = ask_from("127.0.1.9", 24031);
  REQUIRE(first.size() == 1);
  service.ports[0].endpoints = endpoints_of({first == "a" ? &b : &a});
  h.publish({service});
  const std::string moved = ask_from("127.0.1.9", 24031);
  CHECK(moved != first);
  CHECK(ask_from("127.0.1.9", 24031) == moved);
}

TEST_CASE("least-connections sends new connections to the endpoint with fewest open",
          "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kNameThenEcho), b("b", Backend::Mode::kNameThenEcho),
      c("c", Backend::Mode::kNameThenEcho);
  Harness h(2);
  h.publish({load_balancer(24032, endpoints_of({&a, &b, &c}),
                           {{"proxy.skiff.io/balance", "least-connections"}})});
  std::vector<std::pair<Fd, std::string>> open;
  std::map<std::string, int> counts;
  for (int i = 0; i < 9; ++i) {
    open.push_back(hold(24032));
    ++counts[open.back().second];
  }
  CHECK(counts == std::map<std::string, int>{{"a", 3}, {"b", 3}, {"c", 3}});
  // Close two of b's: the next two connections both go to b.
  int closed = 0;
  for (auto& [fd, name] : open) {
    if (name == "b" && closed < 2) {
      fd.reset();
      ++closed;
    }
  }
  // The proxy sees the close asynchronously; wait until its counts agree.
  REQUIRE(eventually([&] {
    return h.metric("skiff_proxy_active_connections", {"default", "web", "24032", "TCP"}) == 7;
  }));
  CHECK(hold(24032).second == "b");
  auto kept = hold(24032);
  CHECK(kept.second == "b");
}

TEST_CASE("power-of-two-choices keeps open connections even", "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kNameThenEcho), b("b", Backend::Mode::kNameThenEcho),
      c("c", Backend::Mode::kNameThenEcho), d("d", Backend::Mode::kNameThenEcho);
  Harness h;
  h.publish({load_balancer(24033, endpoints_of({&a, &b, &c, &d}),
                           {{"proxy.skiff.io/balance", "power-of-two-choices"}})});
  std::vector<std::pair<Fd, std::string>> open;
  std::map<std::string, int> counts;
  for (int i = 0; i < 40; ++i) {
    open.push_back(hold(24033));
    ++counts[open.back().second];
  }
  REQUIRE(counts.size() == 4);
  // Two choices keep the spread within a few connections of the even 10.
  for (const auto& [name, n] : counts) {
    CAPTURE(name);
    CHECK(n >= 7);
    CHECK(n <= 13);
  }
}

TEST_CASE("a refused endpoint is ejected and costs no client an error",
          "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName), c("c", Backend::Mode::kName);
  std::vector<skiff::controller::EndpointView> endpoints = endpoints_of({&a, &b, &c});
  endpoints.push_back({"127.0.0.1", refused_port(), "dead", ""});
  Harness h(2);
  h.publish({load_balancer(24034, endpoints)});
  std::map<std::string, int> counts;
  for (int i = 0; i < 60; ++i) ++counts[ask(kNode, 24034)];
  // Every answer came from a live endpoint; the dead one was tried, then ejected.
  CHECK(counts.size() == 3);
  CHECK(counts["a"] + counts["b"] + counts["c"] == 60);
  const double failures =
      h.metric("skiff_proxy_connect_failures_total", {"default", "web", "24034"});
  CHECK(failures >= 1);
  CHECK(failures <= 2);  // one per worker at most within the back-off
  CHECK(h.metric("skiff_proxy_refused_total", {"default", "web", "24034", "connect_failed"}) == 0);
}

TEST_CASE("an endpoint killed and restarted every 200 ms costs no client an error",
          "[proxy][integration][balancing]") {
  Backend a("a", Backend::Mode::kName), b("b", Backend::Mode::kName), c("c", Backend::Mode::kName);
  const uint16_t flapping_port = refused_port();
  std::vector<skiff::controller::EndpointView> endpoints = endpoints_of({&a, &b, &c});
  endpoints.push_back({"127.0.0.1", flapping_port, "d", ""});
  Harness h(2);
  h.publish({load_balancer(24035, endpoints)});
  // The endpoint dies between requests (the mutex): a connection the kernel had already
  // queued for a dying process is reset by TCP itself, which no proxy can hide. What the
  // proxy must hide is the dead endpoint refusing new connections.
  std::mutex between_requests;
  std::atomic<bool> stop{false};
  std::atomic<int> cycles{0};
  std::atomic<bool> kill_wanted{false};
  std::thread flapper([&] {
    for (int cycle = 0; cycle < 20 && !stop; ++cycle) {
      Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
      int one = 1;
      ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      auto addr = make_sockaddr("127.0.0.1", flapping_port);
      if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) continue;
      ::listen(listener.get(), 64);
      // Up for 200 ms; then killed, but only while no request is in flight (try_lock), and
      // serving every connection until then.
      const auto until = std::chrono::steady_clock::now() + 200ms;
      for (;;) {
        if (std::chrono::steady_clock::now() >= until) {
          kill_wanted = true;
          if (between_requests.try_lock()) {
            listener.reset();  // killed
            kill_wanted = false;
            between_requests.unlock();
            break;
          }
        }
        pollfd p{listener.get(), POLLIN, 0};
        if (::poll(&p, 1, 5) <= 0) continue;
        Fd conn(::accept(listener.get(), nullptr, nullptr));
        write_all(conn.get(), "d");
      }
      ++cycles;
      std::this_thread::sleep_for(200ms);
    }
  });
  int errors = 0;
  int served = 0;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  for (int i = 0; i < 5000 && std::chrono::steady_clock::now() < deadline; ++i) {
    std::string answer;
    {
      std::lock_guard lock(between_requests);
      answer = ask(kNode, 24035);
    }
    if (answer.size() == 1) {
      ++served;
    } else {
      ++errors;
      UNSCOPED_INFO("request " << i << ": " << answer);
    }
    if (kill_wanted) std::this_thread::sleep_for(1ms);  // let the flapper take the mutex
  }
  stop = true;
  flapper.join();
  CHECK(cycles >= 3);
  CHECK(served > 100);
  CHECK(errors == 0);
}
