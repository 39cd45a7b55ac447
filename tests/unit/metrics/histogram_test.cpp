#include "metrics/histogram.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace skiff::metrics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST_CASE("a value equal to a bound goes in that bucket", "[histogram]") {
  Histogram histogram({1, 2, 4});
  CHECK(histogram.bucket_index(1) == 0);
  CHECK(histogram.bucket_index(2) == 1);
  CHECK(histogram.bucket_index(4) == 2);
  CHECK(histogram.bucket_index(std::nextafter(1.0, 2.0)) == 1);
  CHECK(histogram.bucket_index(-100) == 0);
  CHECK(histogram.bucket_index(4.0001) == 3);  // +Inf
  CHECK(histogram.bucket_index(kInf) == 3);
  CHECK(histogram.bucket_index(std::numeric_limits<double>::quiet_NaN()) == 3);
}

TEST_CASE("bucket counts are cumulative, monotonic and end at the count", "[histogram]") {
  Histogram histogram({0.1, 0.5, 1});
  for (double v : {0.05, 0.1, 0.2, 0.5, 0.7, 1.0, 3.0, 0.0}) histogram.observe(v);
  const Histogram::Reading reading = histogram.read();
  CHECK(reading.cumulative == std::vector<std::uint64_t>{3, 5, 7, 8});
  CHECK(reading.count == 8);
  CHECK(reading.sum == Approx(5.55));
  for (std::size_t i = 1; i < reading.cumulative.size(); ++i) {
    CHECK(reading.cumulative[i - 1] <= reading.cumulative[i]);
  }
}

TEST_CASE("NaN is counted in +Inf and makes the sum NaN", "[histogram]") {
  Histogram histogram({1});
  histogram.observe(std::numeric_limits<double>::quiet_NaN());
  const Histogram::Reading reading = histogram.read();
  CHECK(reading.cumulative == std::vector<std::uint64_t>{0, 1});
  CHECK(std::isnan(reading.sum));
}

TEST_CASE("the default buckets are the Prometheus client's", "[histogram]") {
  CHECK(default_buckets() ==
        std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  CHECK(Histogram().bounds() == default_buckets());
}

TEST_CASE("exponential and linear bucket helpers", "[histogram]") {
  CHECK(exponential_buckets(1, 2, 5) == std::vector<double>{1, 2, 4, 8, 16});
  CHECK(exponential_buckets(0.001, 10, 3).size() == 3);
  CHECK(linear_buckets(0, 5, 4) == std::vector<double>{0, 5, 10, 15});
  CHECK_THROWS_AS(exponential_buckets(0, 2, 3), std::invalid_argument);
  CHECK_THROWS_AS(exponential_buckets(1, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS(exponential_buckets(1, 2, 0), std::invalid_argument);
  CHECK_THROWS_AS(linear_buckets(0, 0, 3), std::invalid_argument);
}

TEST_CASE("bounds must be strictly increasing and not NaN, a trailing +Inf is implicit",
          "[histogram]") {
  CHECK(checked_bounds({1, 2, kInf}) == std::vector<double>{1, 2});
  CHECK(checked_bounds({}).empty());
  CHECK_THROWS_WITH(checked_bounds({1, 1}), Catch::Contains("strictly increasing"));
  CHECK_THROWS_WITH(checked_bounds({2, 1}), Catch::Contains("strictly increasing"));
  CHECK_THROWS_WITH(checked_bounds({1, std::numeric_limits<double>::quiet_NaN()}),
                    Catch::Contains("NaN"));
  CHECK_THROWS_AS(Histogram(std::vector<double>{3, 2}), std::invalid_argument);
}

TEST_CASE("a histogram with no finite bounds counts everything in +Inf", "[histogram]") {
  Histogram histogram(std::vector<double>{});
  histogram.observe(5);
  histogram.observe(-5);
  const Histogram::Reading reading = histogram.read();
  CHECK(reading.cumulative == std::vector<std::uint64_t>{2});
  CHECK(reading.sum == 0);
}

}  // namespace
}  // namespace skiff::metrics
