// The relay's Poller against real sockets: edges reach their target, one per arrival even when
// nothing is read (edge-triggered, so a relay that stops at a short read still hears of the
// next bytes), the peer's close is reported, and close() lets the io_context finish.
#include "proxy/poller.h"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <vector>

#include "test_net.h"

using namespace std::chrono_literals;
using skiff::proxy::Poller;
using skiff::proxy::PollTarget;
using skiff::proxy::test::Fd;

namespace {

struct Recorder final : PollTarget {
  std::vector<uint32_t> events;
  void on_events(uint32_t e) override { events.push_back(e); }
};

// Runs io until `done` holds or 2 s pass.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_for(5ms);
  }
  return true;
}

std::pair<Fd, Fd> stream_pair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  return {Fd(fds[0]), Fd(fds[1])};
}

}  // namespace

TEST_CASE("the poller reports every arrival as an edge even when nothing is read",
          "[proxy][integration][poller]") {
  boost::asio::io_context io;
  Poller poller(io);
  auto [watched, peer] = stream_pair();
  Recorder target;
  Poller::Handle handle = 0;
  REQUIRE_FALSE(poller.add(watched.get(), &target, handle));
  // Registration reports what the socket already is: writable.
  REQUIRE(run_until(io, [&] { return !target.events.empty(); }));
  CHECK((target.events[0] & EPOLLOUT) != 0);
  CHECK((target.events[0] & EPOLLIN) == 0);

  for (int i = 1; i <= 3; ++i) {
    REQUIRE(::send(peer.get(), "x", 1, MSG_NOSIGNAL) == 1);
    REQUIRE(run_until(io, [&] { return target.events.size() == static_cast<std::size_t>(1 + i); }));
    CHECK((target.events.back() & EPOLLIN) != 0);
  }
  // No arrival, no edge: the unread bytes raise nothing more.
  io.restart();
  io.run_for(50ms);
  CHECK(target.events.size() == 4);

  peer.reset();
  REQUIRE(run_until(io, [&] { return target.events.size() == 5; }));
  CHECK((target.events.back() & EPOLLRDHUP) != 0);
  char buf[8];
  CHECK(::recv(watched.get(), buf, sizeof buf, 0) == 3);  // the bytes wait until read
}

TEST_CASE("each registered socket gets its own events until it is removed",
          "[proxy][integration][poller]") {
  boost::asio::io_context io;
  Poller poller(io);
  auto [a, a_peer] = stream_pair();
  auto [b, b_peer] = stream_pair();
  Recorder on_a, on_b;
  Poller::Handle a_handle = 0, b_handle = 0;
  REQUIRE_FALSE(poller.add(a.get(), &on_a, a_handle));
  REQUIRE_FALSE(poller.add(b.get(), &on_b, b_handle));
  REQUIRE(run_until(io, [&] { return on_a.events.size() == 1 && on_b.events.size() == 1; }));
  REQUIRE(::send(b_peer.get(), "y", 1, MSG_NOSIGNAL) == 1);
  REQUIRE(run_until(io, [&] { return on_b.events.size() == 2; }));
  CHECK(on_a.events.size() == 1);
  // A removed registration gets nothing more, even while its descriptor stays open (as when a
  // forked child still holds it); its slot then serves a new registration.
  poller.remove(a_handle);
  CHECK(a_handle == 0);
  REQUIRE(::send(a_peer.get(), "z", 1, MSG_NOSIGNAL) == 1);
  io.restart();
  io.run_for(50ms);
  CHECK(on_a.events.size() == 1);
  CHECK(poller.registered() == 1);
  auto [c, c_peer] = stream_pair();
  Recorder on_c;
  Poller::Handle c_handle = 0;
  REQUIRE_FALSE(poller.add(c.get(), &on_c, c_handle));
  REQUIRE(run_until(io, [&] { return on_c.events.size() == 1; }));
  REQUIRE(::send(c_peer.get(), "w", 1, MSG_NOSIGNAL) == 1);
  REQUIRE(run_until(io, [&] { return on_c.events.size() == 2; }));
  CHECK(on_a.events.size() == 1);
}

TEST_CASE("a closed poller lets the io_context run out of work", "[proxy][integration][poller]") {
  boost::asio::io_context io;
  Poller poller(io);
  auto [watched, peer] = stream_pair();
  Recorder target;
  Poller::Handle handle = 0;
  REQUIRE_FALSE(poller.add(watched.get(), &target, handle));
  boost::asio::steady_timer stop(io, 20ms);
  stop.async_wait([&](const boost::system::error_code&) { poller.close(); });
  const auto started = std::chrono::steady_clock::now();
  io.run_for(3s);  // returns early only if nothing is left pending
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(io.stopped());
  Recorder late;
  Poller::Handle late_handle = 0;
  CHECK(poller.add(peer.get(), &late, late_handle));  // refused: closed
  CHECK(late_handle == 0);
}
