#include "metrics/exposition.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "metrics/registry.h"

namespace skiff::metrics {
namespace {

std::string value_text(double value) {
  std::string out;
  append_value(out, value);
  return out;
}

TEST_CASE("a small registry renders byte-exactly in text format 0.0.4", "[exposition]") {
  Registry registry;
  // Registered out of name order: the exposition sorts families by name.
  auto& requests =
      registry.counter("skiff_requests_total", "Requests served.", {"service", "port"});
  requests.with({"default/web", "6000"}).inc(3);
  requests.with({"default/api", "80"}).inc();
  registry.gauge("skiff_sessions", "Open sessions.\nPer service \\ port.").with({}).set(2.5);
  auto& latency =
      registry.histogram("skiff_latency_seconds", "Latency.", {"service"}, {0.25, 1, 5});
  Histogram& odd = latency.with({"a\"b\\c\nd"});
  odd.observe(0.25);  // equal to a bound: counted in that bucket
  odd.observe(0.5);
  odd.observe(7);  // above every bound: only +Inf
  registry.counter("skiff_unused_total", "Has labels but no child yet.", {"service"});

  const std::string expected = R"EXP(# HELP skiff_latency_seconds Latency.
# TYPE skiff_latency_seconds histogram
skiff_latency_seconds_bucket{service="a\"b\\c\nd",le="0.25"} 1
skiff_latency_seconds_bucket{service="a\"b\\c\nd",le="1"} 2
skiff_latency_seconds_bucket{service="a\"b\\c\nd",le="5"} 2
skiff_latency_seconds_bucket{service="a\"b\\c\nd",le="+Inf"} 3
skiff_latency_seconds_sum{service="a\"b\\c\nd"} 7.75
skiff_latency_seconds_count{service="a\"b\\c\nd"} 3
# HELP skiff_requests_total Requests served.
# TYPE skiff_requests_total counter
skiff_requests_total{service="default/api",port="80"} 1
skiff_requests_total{service="default/web",port="6000"} 3
# HELP skiff_sessions Open sessions.\nPer service \\ port.
# TYPE skiff_sessions gauge
skiff_sessions 2.5
)EXP";
  CHECK(render(registry) == expected);
}

TEST_CASE("families without labels export zero before the first update", "[exposition]") {
  Registry registry;
  registry.counter("skiff_errors_total", "Errors.");
  registry.histogram("skiff_size_bytes", "Sizes.", {}, {10});
  CHECK(render(registry) ==
        "# HELP skiff_errors_total Errors.\n"
        "# TYPE skiff_errors_total counter\n"
        "skiff_errors_total 0\n"
        "# HELP skiff_size_bytes Sizes.\n"
        "# TYPE skiff_size_bytes histogram\n"
        "skiff_size_bytes_bucket{le=\"10\"} 0\n"
        "skiff_size_bytes_bucket{le=\"+Inf\"} 0\n"
        "skiff_size_bytes_sum 0\n"
        "skiff_size_bytes_count 0\n");
}

TEST_CASE("render sorts snapshots it is given by name and children by label values",
          "[exposition]") {
  FamilySnapshot b{"b_metric", "B.", MetricType::kGauge, {"x"}, {}, {}};
  b.children.push_back({{"zeta"}, 1, {}, {}});
  b.children.push_back({{"alpha"}, 2, {}, {}});
  FamilySnapshot a{"a_metric", "A.", MetricType::kGauge, {}, {}, {}};
  a.children.push_back({{}, -3, {}, {}});
  CHECK(render({b, a}) ==
        "# HELP a_metric A.\n# TYPE a_metric gauge\na_metric -3\n"
        "# HELP b_metric B.\n# TYPE b_metric gauge\n"
        "b_metric{x=\"alpha\"} 2\nb_metric{x=\"zeta\"} 1\n");
}

TEST_CASE("sample values are formatted as Prometheus parses them", "[exposition]") {
  CHECK(value_text(0) == "0");
  CHECK(value_text(-0.0) == "0");
  CHECK(value_text(42) == "42");
  CHECK(value_text(1e6) == "1000000");  // integers never in exponent form
  CHECK(value_text(9007199254740992.0) == "9007199254740992");
  CHECK(value_text(-17) == "-17");
  CHECK(value_text(0.5) == "0.5");
  CHECK(value_text(0.1) == "0.1");  // shortest round-trip form, not 0.10000000000000001
  CHECK(value_text(2.5e-7) == "2.5e-07");
  CHECK(value_text(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(value_text(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(value_text(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  // Past 2^53 the shortest form reads back to the same double.
  const double big = 1.5e300;
  CHECK(std::stod(value_text(big)) == big);
}

TEST_CASE("help and label values are escaped, other bytes pass through", "[exposition]") {
  std::string help;
  append_escaped_help(help, "a\\b\nc\"d\te");
  CHECK(help == "a\\\\b\\nc\"d\te");  // a double quote is not escaped in HELP
  std::string label;
  append_escaped_label_value(label, "a\\b\nc\"d caf\xc3\xa9");
  CHECK(label == "a\\\\b\\nc\\\"d caf\xc3\xa9");
}

TEST_CASE("the content type names text format 0.0.4", "[exposition]") {
  CHECK(kContentType == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("a throwing callback reads as NaN instead of failing the scrape", "[exposition]") {
  Registry registry;
  registry.callback("skiff_flaky", "Flaky.", MetricType::kGauge).set({}, []() -> double {
    throw std::runtime_error("boom");
  });
  registry.callback("skiff_queue_depth", "Depth.", MetricType::kGauge, {"queue"}).set({"work"}, [] {
    return 7.0;
  });
  const std::string text = render(registry);
  CHECK(text.find("\nskiff_flaky NaN\n") != std::string::npos);
  CHECK(text.find("\nskiff_queue_depth{queue=\"work\"} 7\n") != std::string::npos);
}

}  // namespace
}  // namespace skiff::metrics
