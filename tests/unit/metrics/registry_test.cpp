#include "metrics/registry.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "metrics/exposition.h"

namespace skiff::metrics {
namespace {

TEST_CASE("with() returns the same child for the same label values", "[registry]") {
  Registry registry;
  auto& family = registry.counter("skiff_bytes_total", "Bytes.", {"service", "port"});
  Counter& first = family.with({"default/web", "6000"});
  Counter& again = family.with({"default/web", "6000"});
  Counter& other = family.with({"default/web", "6001"});
  CHECK(&first == &again);
  CHECK(&first != &other);
  // Many more children must not move the first one.
  for (int i = 0; i < 500; ++i) family.with({"ns/svc" + std::to_string(i), "1"});
  CHECK(&family.with({"default/web", "6000"}) == &first);
  first.inc(5);
  CHECK(family.with({"default/web", "6000"}).value() == 5);
}

TEST_CASE("a wrong number of label values is refused", "[registry]") {
  Registry registry;
  auto& family = registry.gauge("skiff_ready", "Ready.", {"service"});
  CHECK_THROWS_WITH(family.with({}), Catch::Contains("takes 1 label values, got 0"));
  CHECK_THROWS_AS(family.with({"a", "b"}), std::invalid_argument);
}

TEST_CASE("registering the same family again returns it, a conflicting one is refused",
          "[registry]") {
  Registry registry;
  auto& a = registry.counter("skiff_x_total", "X.", {"l"});
  CHECK(&registry.counter("skiff_x_total", "X.", {"l"}) == &a);
  CHECK_THROWS_AS(registry.counter("skiff_x_total", "Other help.", {"l"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("skiff_x_total", "X.", {"m"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.gauge("skiff_x_total", "X.", {"l"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.callback("skiff_x_total", "X.", MetricType::kCounter, {"l"}),
                  std::invalid_argument);

  auto& h = registry.histogram("skiff_h_seconds", "H.", {}, {1, 2});
  CHECK(&registry.histogram("skiff_h_seconds", "H.", {}, {1, 2}) == &h);
  CHECK_THROWS_AS(registry.histogram("skiff_h_seconds", "H.", {}, {1, 3}), std::invalid_argument);
}

TEST_CASE("names the data model forbids are refused at registration", "[registry]") {
  Registry registry;
  CHECK_THROWS_WITH(registry.counter("9lives", "."), Catch::Contains("invalid metric name"));
  CHECK_THROWS_AS(registry.counter("", "."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has-dash", "."), std::invalid_argument);
  CHECK_THROWS_WITH(registry.counter("ok_total", ".", {"bad-label"}),
                    Catch::Contains("invalid label name"));
  CHECK_THROWS_AS(registry.counter("ok_total", ".", {"__reserved"}), std::invalid_argument);
  CHECK_THROWS_WITH(registry.counter("ok_total", ".", {"a", "a"}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(registry.histogram("ok_seconds", ".", {"le"}), Catch::Contains("reserved"));
  CHECK_THROWS_AS(registry.callback("ok_h", ".", MetricType::kHistogram), std::invalid_argument);
  CHECK_NOTHROW(registry.gauge("ns:sub_ok", ".", {"_a1"}));
}

TEST_CASE("a histogram's series names cannot collide with another family", "[registry]") {
  Registry registry;
  registry.histogram("skiff_rtt_seconds", "RTT.");
  CHECK_THROWS_WITH(registry.counter("skiff_rtt_seconds_count", "."),
                    Catch::Contains("series of histogram"));
  registry.gauge("skiff_q_sum", "Q.");
  CHECK_THROWS_WITH(registry.histogram("skiff_q", "."), Catch::Contains("collide"));
}

TEST_CASE("remove() stops exporting a child, a shared holder can still use it", "[registry]") {
  Registry registry;
  auto& family = registry.counter("skiff_conn_total", "Connections.", {"service"});
  std::shared_ptr<Counter> held = family.share({"default/gone"});
  family.with({"default/kept"}).inc();
  held->inc();
  CHECK(family.remove({"default/gone"}));
  CHECK_FALSE(family.remove({"default/gone"}));
  held->inc();  // still valid memory after removal
  CHECK(held->value() == 2);
  const std::string text = render(registry);
  CHECK(text.find("default/gone") == std::string::npos);
  CHECK(text.find("skiff_conn_total{service=\"default/kept\"} 1\n") != std::string::npos);
  // Asking again starts a fresh series at zero.
  CHECK(family.with({"default/gone"}).value() == 0);
}

TEST_CASE("callback children are replaced and removed by label values", "[registry]") {
  Registry registry;
  auto& family = registry.callback("skiff_pods", "Pods.", MetricType::kGauge, {"phase"});
  family.set({"Running"}, [] { return 1.0; });
  family.set({"Running"}, [] { return 4.0; });
  family.set({"Pending"}, [] { return 2.0; });
  CHECK(family.remove({"Pending"}));
  const auto snapshots = registry.collect();
  REQUIRE(snapshots.size() == 1);
  REQUIRE(snapshots[0].children.size() == 1);
  CHECK(snapshots[0].children[0].label_values == std::vector<std::string>{"Running"});
  CHECK(snapshots[0].children[0].value == 4.0);
  CHECK(snapshots[0].type == MetricType::kGauge);
}

}  // namespace
}  // namespace skiff::metrics
