#include "controller/backoff.h"

#include <catch2/catch.hpp>

using skiff::controller::format_go_duration;
using skiff::controller::RestartBackoff;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

TEST_CASE("restart back-off: immediate first restart, then doubling up to max") {
  RestartBackoff b(10s, 40s);
  auto t = RestartBackoff::Clock::time_point{} + 1000h;
  const std::string key = "uid/web";

  // First exit: restart at once.
  CHECK(b.delay(key, t) == ms(0));
  b.record_restart(key, t);

  // Exits again 1 s later: waits out the rest of the 10 s window.
  t += 1s;
  CHECK(b.delay(key, t) == ms(9000));
  CHECK(b.window(key, t) == ms(10000));
  t += 9s;
  b.record_restart(key, t);

  t += 100ms;
  CHECK(b.window(key, t) == ms(20000));
  CHECK(b.delay(key, t) == ms(19900));
  t += 19900ms;
  b.record_restart(key, t);
  CHECK(b.window(key, t) == ms(40000));
  t += 40s;
  b.record_restart(key, t);
  CHECK(b.window(key, t) == ms(40000));  // capped at max
}

TEST_CASE("restart back-off: a container that outlived its window restarts at once") {
  RestartBackoff b(10s, 300s);
  auto t = RestartBackoff::Clock::time_point{} + 1000h;
  b.record_restart("k", t);
  t += 11s;
  CHECK(b.delay("k", t) == ms(0));
  b.record_restart("k", t);
  CHECK(b.window("k", t) == ms(20000));  // the window still grows
}

TEST_CASE("restart back-off: running longer than 2*max resets to base") {
  RestartBackoff b(100ms, 1s);
  auto t = RestartBackoff::Clock::time_point{} + 1000h;
  for (int i = 0; i < 6; ++i) {
    b.record_restart("k", t);
    t += 1ms;
  }
  CHECK(b.window("k", t) == ms(1000));
  t += 2001ms;
  CHECK(b.delay("k", t) == ms(0));
  CHECK(b.window("k", t) == ms(100));
  b.record_restart("k", t);
  t += 1ms;
  CHECK(b.delay("k", t) == ms(99));
}

TEST_CASE("restart back-off: keys are independent and forget drops one") {
  RestartBackoff b(10s, 300s);
  auto t = RestartBackoff::Clock::time_point{} + 1000h;
  b.record_restart("a", t);
  CHECK(b.delay("a", t + 1s) == ms(9000));
  CHECK(b.delay("b", t + 1s) == ms(0));
  b.forget("a");
  CHECK(b.delay("a", t + 1s) == ms(0));
}

TEST_CASE("durations print as Go prints them") {
  CHECK(format_go_duration(10s) == "10s");
  CHECK(format_go_duration(160s) == "2m40s");
  CHECK(format_go_duration(300s) == "5m0s");
  CHECK(format_go_duration(100ms) == "100ms");
  CHECK(format_go_duration(1500ms) == "1.5s");
  CHECK(format_go_duration(0ms) == "0s");
}
