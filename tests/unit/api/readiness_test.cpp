#include "api/readiness.h"

#include <catch2/catch.hpp>
#include <stdexcept>

using skiff::api::health_report;
using skiff::api::ReadinessCheck;

TEST_CASE("all checks passing: 'ok', or the list when verbose") {
  std::vector<ReadinessCheck> checks{{"store", [] { return std::string(); }}};
  auto quiet = health_report(checks, "readyz", false);
  REQUIRE(quiet);
  CHECK(quiet->ok);
  CHECK(quiet->body == "ok");
  auto verbose = health_report(checks, "readyz", true);
  REQUIRE(verbose);
  CHECK(verbose->body == "[+]ping ok\n[+]store ok\nreadyz check passed");
}

TEST_CASE("a failing check fails the report and is listed with its reason") {
  std::vector<ReadinessCheck> checks{
      {"store", [] { return std::string(); }},
      {"engine", [] { return std::string("dockerd is not answering"); }},
      {"thrower", []() -> std::string { throw std::runtime_error("boom"); }},
  };
  auto report = health_report(checks, "readyz", false);
  REQUIRE(report);
  CHECK_FALSE(report->ok);
  CHECK(report->body ==
        "[+]ping ok\n[+]store ok\n[-]engine failed: dockerd is not answering\n"
        "[-]thrower failed: check threw: boom\nreadyz check failed");
}

TEST_CASE("one check by name") {
  std::vector<ReadinessCheck> checks{{"engine", [] { return std::string("down"); }}};
  auto one = health_report(checks, "readyz", false, "engine");
  REQUIRE(one);
  CHECK_FALSE(one->ok);
  CHECK(one->body == "[-]engine failed: down\nreadyz check failed");
  CHECK(health_report(checks, "readyz", false, "ping")->ok);
  CHECK_FALSE(health_report(checks, "readyz", false, "nope"));
}
