// The Prober's thresholds and initial results, as kubelet's readiness, liveness and startup
// probes use them. Checks are scripted; the loop runs for real with millisecond periods.
#include "controller/prober.h"

#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <deque>

using namespace skiff::controller;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct Script {
  asio::io_context io;
  std::deque<bool> results;  // consumed one per check; when empty, the last repeats
  bool last = true;
  int checks = 0;
  int completed = 0;  // results delivered to the prober
  std::vector<bool> changes;

  ProbeCheck check() {
    return [this](CheckDone done) {
      ++checks;
      if (!results.empty()) {
        last = results.front();
        results.pop_front();
      }
      asio::post(io, [this, done, ok = last] {
        ++completed;
        done(ok);
      });
    };
  }
  std::function<void(bool)> on_change() {
    return [this](bool r) { changes.push_back(r); };
  }
  // Runs the loop one handler at a time until `n` results were delivered (bounded), so
  // exactly n checks have counted.
  void run_checks(int n) {
    auto until = std::chrono::steady_clock::now() + 5s;
    while (completed < n && std::chrono::steady_clock::now() < until) {
      if (io.stopped()) io.restart();
      io.run_one_for(50ms);
    }
  }
};

ProbeSchedule fast(std::optional<bool> initial, int success = 1, int failure = 3) {
  ProbeSchedule s;
  s.period = 1ms;
  s.success_threshold = success;
  s.failure_threshold = failure;
  s.initial_result = initial;
  return s;
}

}  // namespace

TEST_CASE("readiness starts not ready and needs successThreshold successes in a row") {
  Script t;
  t.results = {true, false, true, true, true};
  Prober p(t.io, fast(false, 2), t.check(), t.on_change());
  CHECK_FALSE(p.ready());
  p.start();
  t.run_checks(3);
  CHECK(t.changes.empty());  // success, failure, success: never two in a row
  t.run_checks(4);
  REQUIRE(t.changes == std::vector<bool>{true});
  CHECK(p.ready());
}

TEST_CASE("liveness starts alive and reports one failure after failureThreshold in a row") {
  Script t;
  t.results = {false, false, true, false, false, false};
  t.last = false;
  Prober p(t.io, fast(true, 1, 3), t.check(), t.on_change());
  CHECK(p.ready());
  p.start();
  t.run_checks(5);
  CHECK(t.changes.empty());  // two failures, a success resets the run
  t.run_checks(8);
  // Failed once: reported once, not again on every later failure.
  REQUIRE(t.changes == std::vector<bool>{false});
}

TEST_CASE("startup is unknown until it passes or fails its threshold") {
  SECTION("passes") {
    Script t;
    t.results = {false, false, true};
    Prober p(t.io, fast(std::nullopt, 1, 3), t.check(), t.on_change());
    CHECK_FALSE(p.ready());
    p.start();
    t.run_checks(3);
    REQUIRE(t.changes == std::vector<bool>{true});
  }
  SECTION("fails") {
    Script t;
    t.results = {false, false, false};
    Prober p(t.io, fast(std::nullopt, 1, 3), t.check(), t.on_change());
    p.start();
    t.run_checks(3);
    REQUIRE(t.changes == std::vector<bool>{false});
  }
}

TEST_CASE("an adopted ready container stays ready until its probe fails") {
  Script t;
  t.results = {true, false, false, false};
  Prober p(t.io, fast(true, 1, 3), t.check(), t.on_change());
  CHECK(p.ready());
  p.start();
  t.run_checks(4);
  REQUIRE(t.changes == std::vector<bool>{false});
  CHECK_FALSE(p.ready());
}

TEST_CASE("initialDelay holds the first check back and stop ends all callbacks") {
  Script t;
  ProbeSchedule s = fast(false);
  s.initial_delay = 200ms;
  Prober p(t.io, s, t.check(), t.on_change());
  p.start();
  t.io.run_for(100ms);
  CHECK(t.checks == 0);
  t.run_checks(1);
  CHECK(t.checks >= 1);
  p.stop();
  const int seen = t.checks;
  t.io.restart();
  t.io.run_for(50ms);
  CHECK(t.checks == seen);
}
