#include "metrics/counter.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "metrics/gauge.h"
#include "metrics/histogram.h"
#include "metrics/registry.h"

namespace skiff::metrics {
namespace {

constexpr int kThreads = 4;
constexpr int kPerThread = 250'000;

TEST_CASE("concurrent increments from 4 threads sum exactly", "[counter]") {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < kPerThread; ++i) counter.inc(t == 0 ? 2 : 1);
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter.value() == (kThreads + 1) * std::uint64_t{kPerThread});
}

TEST_CASE("a scrape during increments sees a count that never goes backwards", "[counter]") {
  Registry registry;
  Counter& counter = registry.counter("skiff_hits_total", "Hits.").with({});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counter] {
      for (int i = 0; i < kPerThread; ++i) counter.inc();
    });
  }
  double previous = 0;
  bool monotonic = true;
  for (int scrape = 0; scrape < 200; ++scrape) {
    const double now = registry.collect().front().children.front().value;
    monotonic = monotonic && now >= previous;
    previous = now;
  }
  for (auto& thread : threads) thread.join();
  CHECK(monotonic);
  CHECK(registry.collect().front().children.front().value == double{kThreads} * kPerThread);
}

TEST_CASE("concurrent histogram observations are all counted", "[histogram]") {
  Histogram histogram({1, 2});
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kPerThread; ++i) histogram.observe(static_cast<double>(t));
    });
  }
  for (auto& thread : threads) thread.join();
  const Histogram::Reading reading = histogram.read();
  // Values 0 and 1 land in le=1, 2 in le=2, 3 in +Inf.
  CHECK(reading.cumulative ==
        std::vector<std::uint64_t>{2 * kPerThread, 3 * kPerThread, 4 * kPerThread});
  CHECK(reading.count == 4 * std::uint64_t{kPerThread});
  CHECK(reading.sum == 6.0 * kPerThread);
}

TEST_CASE("a gauge is set, raised and lowered, also concurrently", "[gauge]") {
  Gauge gauge;
  CHECK(gauge.value() == 0);
  gauge.set(10);
  gauge.inc();
  gauge.dec(3.5);
  CHECK(gauge.value() == 7.5);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&gauge] {
      for (int i = 0; i < 10'000; ++i) {
        gauge.inc();
        gauge.dec();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(gauge.value() == 7.5);
}

}  // namespace
}  // namespace skiff::metrics
