// Idle timeout, maximum connection age and connect timeout, set per Service by annotation.
#include <catch2/catch.hpp>

#include "proxy_harness.h"

using namespace skiff::proxy::test;

namespace {

// A listener that never accepts, its backlog filled: SYNs to it go unanswered, so a connect
// hangs until the proxy's connect timeout.
class Blackhole {
 public:
  Blackhole() : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    auto addr = make_sockaddr("127.0.0.1", 0);
    ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_.get(), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // Fill the accept queue (backlog 0 holds one) with non-blocking connects.
    for (int i = 0; i < 4; ++i) {
      Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(std::move(fd));
    }
    std::this_thread::sleep_for(50ms);  // let the handshakes land in the queue
  }
  uint16_t port() const { return port_; }

 private:
  Fd listener_;
  uint16_t port_ = 0;
  std::vector<Fd> fillers_;
};

}  // namespace

TEST_CASE("an idle connection is closed after the idle timeout and a busy one is not",
          "[proxy][integration][timeouts]") {
  Backend echo("echo", Backend::Mode::kEcho);
  Harness h;
  h.publish(
      {load_balancer(24020, endpoints_of({&echo}), {{"proxy.skiff.io/idle-timeout", "400ms"}})});
  Fd idle = connect_to(kNode, 24020);
  Fd busy = connect_to(kNode, 24020);
  REQUIRE(idle.valid());
  REQUIRE(busy.valid());
  const auto started = std::chrono::steady_clock::now();
  // The busy one talks every 100 ms for 1.2 s: three idle timeouts' worth.
  for (int i = 0; i < 12; ++i) {
    REQUIRE(write_all(busy.get(), "ping"));
    REQUIRE(read_n(busy.get(), 4) == "ping");
    std::this_thread::sleep_for(100ms);
  }
  auto r = read_all(idle.get());
  CHECK(r.eof);  // closed cleanly by the proxy...
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  REQUIRE(write_all(busy.get(), "still"));  // ...while the busy one lives on
  CHECK(read_n(busy.get(), 5) == "still");
}

TEST_CASE("a connection older than max-connection-age is closed even when busy",
          "[proxy][integration][timeouts]") {
  Backend echo("echo", Backend::Mode::kEcho);
  Harness h;
  h.publish({load_balancer(24021, endpoints_of({&echo}),
                           {{"proxy.skiff.io/max-connection-age", "500ms"}})});
  Fd fd = connect_to(kNode, 24021);
  REQUIRE(fd.valid());
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!write_all(fd.get(), "x")) break;
    closed = read_n(fd.get(), 1) != "x";
    std::this_thread::sleep_for(50ms);
  }
  CHECK(closed);
  const auto age = std::chrono::steady_clock::now() - started;
  CHECK(age >= 450ms);
  CHECK(age < 1500ms);
}

TEST_CASE("an endpoint that never answers times out and is ejected and the next one serves",
          "[proxy][integration][timeouts]") {
  Blackhole hole;
  Backend live("live", Backend::Mode::kName);
  Harness h;
  h.publish({load_balancer(
      24022, {{"127.0.0.1", hole.port(), "hole", ""}, {"127.0.0.1", live.port(), "live", ""}},
      {{"proxy.skiff.io/connect-timeout", "300ms"}})});
  const auto started = std::chrono::steady_clock::now();
  CHECK(ask(kNode, 24022) == "live");  // round-robin tried the hole first
  const auto first = std::chrono::steady_clock::now() - started;
  CHECK(first >= 250ms);
  CHECK(first < 2s);
  // Ejected: the next connections go straight to the live endpoint.
  const auto again = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) CHECK(ask(kNode, 24022) == "live");
  CHECK(std::chrono::steady_clock::now() - again < 250ms);
  CHECK(h.metric("skiff_proxy_ejections_total", {"default", "web", "24022"}) == 1);
  CHECK(h.metric("skiff_proxy_connect_failures_total", {"default", "web", "24022"}) == 1);
}
