#include "proxy/annotations.h"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using skiff::controller::ServiceView;
using skiff::proxy::BalancePolicy;
using skiff::proxy::parse_duration;
using skiff::proxy::parse_service_settings;
using skiff::proxy::ServiceSettings;

namespace {

ServiceView service_with(std::map<std::string, std::string> annotations) {
  ServiceView s;
  s.ns = "default";
  s.name = "web";
  s.annotations = std::move(annotations);
  return s;
}

}  // namespace

TEST_CASE("durations in Go form or bare seconds", "[proxy][annotations]") {
  CHECK(parse_duration("1h") == 3600000ms);
  CHECK(parse_duration("1h30m") == 5400000ms);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("2.5s") == 2500ms);
  CHECK(parse_duration("90") == 90000ms);
  CHECK(parse_duration("0") == 0ms);
  CHECK(parse_duration("0s") == 0ms);
  for (const char* bad : {"", "s", "1x", "-1s", "1h30", "abc", "1..2s", "1e3s", "1000000000h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

TEST_CASE("a Service without annotations gets the daemon defaults", "[proxy][annotations]") {
  ServiceSettings defaults;
  defaults.connect_timeout = 1234ms;
  std::vector<std::string> warnings;
  auto s = parse_service_settings(service_with({}), defaults, warnings);
  CHECK(s == defaults);
  CHECK(warnings.empty());
  CHECK(s.policy == BalancePolicy::kRoundRobin);
  CHECK(s.idle_timeout == 1h);
}

TEST_CASE("every proxy annotation is read", "[proxy][annotations]") {
  std::vector<std::string> warnings;
  auto s = parse_service_settings(service_with({{"proxy.skiff.io/balance", "least-connections"},
                                                {"proxy.skiff.io/connect-timeout", "250ms"},
                                                {"proxy.skiff.io/idle-timeout", "90s"},
                                                {"proxy.skiff.io/max-connection-age", "10m"},
                                                {"proxy.skiff.io/drain-timeout", "0"},
                                                {"proxy.skiff.io/max-connections", "12"},
                                                {"proxy.skiff.io/udp-idle-timeout", "5s"},
                                                {"other.io/ignored", "x"}}),
                                  ServiceSettings{}, warnings);
  CHECK(warnings.empty());
  CHECK(s.policy == BalancePolicy::kLeastConnections);
  CHECK(s.connect_timeout == 250ms);
  CHECK(s.idle_timeout == 90s);
  CHECK(s.max_connection_age == 10min);
  CHECK(s.drain_timeout == 0ms);
  CHECK(s.max_connections == 12);
  CHECK(s.udp_idle_timeout == 5s);
  warnings.clear();
  s = parse_service_settings(service_with({{"proxy.skiff.io/balance", "power-of-two-choices"}}),
                             ServiceSettings{}, warnings);
  CHECK(s.policy == BalancePolicy::kPowerOfTwoChoices);
}

TEST_CASE("bad annotation values warn and keep the default", "[proxy][annotations]") {
  std::vector<std::string> warnings;
  const ServiceSettings defaults;
  auto s = parse_service_settings(service_with({{"proxy.skiff.io/balance", "random"},
                                                {"proxy.skiff.io/connect-timeout", "0s"},
                                                {"proxy.skiff.io/idle-timeout", "soon"},
                                                {"proxy.skiff.io/max-connections", "-3"},
                                                {"proxy.skiff.io/idle-timout", "1h"}}),
                                  defaults, warnings);
  CHECK(s == defaults);
  REQUIRE(warnings.size() == 5);
  CHECK(warnings[0] ==
        "default/web: annotation proxy.skiff.io/balance=\"random\" is not one of round-robin, "
        "least-connections, power-of-two-choices; using the default");
  CHECK(warnings[1] ==
        "default/web: annotation proxy.skiff.io/connect-timeout=\"0s\" must be more than 0; "
        "using the default");
  CHECK(warnings[2] ==
        "default/web: annotation proxy.skiff.io/idle-timeout=\"soon\" is not a duration (e.g. "
        "30s, 1h, 500ms); using the default");
  CHECK(warnings[3].find("is not a known proxy annotation") != std::string::npos);
  CHECK(warnings[4].find("max-connections=\"-3\" is not a whole number") != std::string::npos);
}

TEST_CASE("sessionAffinity ClientIP with its timeout capped as Kubernetes does",
          "[proxy][annotations]") {
  std::vector<std::string> warnings;
  ServiceView v = service_with({});
  v.session_affinity = "ClientIP";
  v.session_affinity_timeout_seconds = 60;
  auto s = parse_service_settings(v, ServiceSettings{}, warnings);
  CHECK(s.client_ip_affinity);
  CHECK(s.affinity_timeout == 60s);
  CHECK(warnings.empty());
  v.session_affinity_timeout_seconds = 86401;
  s = parse_service_settings(v, ServiceSettings{}, warnings);
  CHECK(s.affinity_timeout == 10800s);
  CHECK(warnings.size() == 1);
  v.session_affinity = "None";
  CHECK_FALSE(parse_service_settings(v, ServiceSettings{}, warnings).client_ip_affinity);
}
