#include "config/quantity.h"

#include <catch2/catch.hpp>

using skiff::config::format_bytes;
using skiff::config::format_milli_cpu;
using skiff::config::is_known_container_resource;
using skiff::config::parse_quantity_milli;
using skiff::config::parse_quantity_value;

namespace {

int64_t milli(const char* text) {
  auto r = parse_quantity_milli(text);
  INFO(text << ": " << (r ? "" : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

int64_t value(const char* text) {
  auto r = parse_quantity_value(text);
  INFO(text << ": " << (r ? "" : r.error().message));
  REQUIRE(r.ok());
  return *r;
}

std::string error_of(const char* text) {
  auto r = parse_quantity_value(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "BadRequest");
  return r.error().message;
}

}  // namespace

TEST_CASE("CPU quantities become milli-CPU as Kubernetes reads them", "[quantity]") {
  CHECK(milli("100m") == 100);
  CHECK(milli("0.5") == 500);
  CHECK(milli(".5") == 500);
  CHECK(milli("1") == 1000);
  CHECK(milli("1.") == 1000);
  CHECK(milli("2.25") == 2250);
  CHECK(milli("1e3") == 1000000);
  CHECK(milli("1E3") == 1000000);
  CHECK(milli("5e-1") == 500);
  CHECK(milli("+1") == 1000);
  CHECK(milli("0") == 0);
  CHECK(milli("000.000") == 0);
  CHECK(milli("1k") == 1000000);
}

TEST_CASE("A fraction of the smallest unit rounds up as MilliValue does", "[quantity]") {
  CHECK(milli("0.1m") == 1);
  CHECK(milli("1.0001") == 1001);
  CHECK(milli("1e-30") == 1);
  CHECK(milli("1e-1000") == 1);
  CHECK(value("1.5") == 2);
  CHECK(value("100m") == 1);
  CHECK(value("0.5Ki") == 512);
}

TEST_CASE("Memory quantities become bytes with binary and decimal suffixes", "[quantity]") {
  CHECK(value("128Mi") == 128LL << 20);
  CHECK(value("1Gi") == 1LL << 30);
  CHECK(value("1.5Gi") == 3LL << 29);
  CHECK(value("1G") == 1000000000LL);
  CHECK(value("1M") == 1000000LL);
  CHECK(value("64Ki") == 65536);
  CHECK(value("2Ti") == 2LL << 40);
  CHECK(value("1Pi") == 1LL << 50);
  CHECK(value("7Ei") == 7LL << 60);
  CHECK(value("1E") == 1000000000000000000LL);
  CHECK(value("1e9") == 1000000000LL);
  CHECK(value("12345") == 12345);
  CHECK(value("-1Mi") == -(1LL << 20));
}

TEST_CASE("Malformed quantities are refused with the reason", "[quantity]") {
  CHECK_THAT(error_of(""), Catch::Contains("is empty"));
  CHECK_THAT(error_of("Mi"), Catch::Contains("must start with a number"));
  CHECK_THAT(error_of("."), Catch::Contains("must start with a number"));
  CHECK_THAT(error_of("-"), Catch::Contains("must start with a number"));
  CHECK_THAT(error_of("1x"), Catch::Contains("unknown suffix \"x\""));
  CHECK_THAT(error_of("1mi"), Catch::Contains("unknown suffix"));
  CHECK_THAT(error_of("1 Mi"), Catch::Contains("unknown suffix"));
  CHECK_THAT(error_of("1.2.3"), Catch::Contains("unknown suffix"));
  CHECK_THAT(error_of("1e"), Catch::Contains("exponent has no digits"));
  CHECK_THAT(error_of("1e+"), Catch::Contains("exponent has no digits"));
  CHECK_THAT(error_of("1e3.5"), Catch::Contains("not an integer"));
  CHECK_THAT(error_of("1Mi "), Catch::Contains("unknown suffix"));
  CHECK_THAT(error_of("abc"), Catch::Contains("quantity \"abc\""));
}

TEST_CASE("Quantities beyond int64 are refused, never wrapped", "[quantity]") {
  CHECK_THAT(error_of("8Ei"), Catch::Contains("too large"));
  CHECK_THAT(error_of("9223372036854775808"), Catch::Contains("too large"));
  CHECK(value("9223372036854775807") == 9223372036854775807LL);
  CHECK_THAT(error_of("1e1000000"), Catch::Contains("too large"));
  CHECK_THAT(error_of("1e19"), Catch::Contains("too large"));
  auto r = parse_quantity_milli("9223372036854776");  // fits as units, not as thousandths
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("too large"));
  CHECK_THAT(error_of("123456789012345678901234567890123456789"),
             Catch::Contains("too many significant digits"));
  CHECK(value("100000000000000000000000000000000000000000e-30") == 100000000000LL);
}

TEST_CASE("Quantities are printed as kubectl shows them", "[quantity]") {
  CHECK(format_milli_cpu(250) == "250m");
  CHECK(format_milli_cpu(2000) == "2");
  CHECK(format_milli_cpu(0) == "0");
  CHECK(format_milli_cpu(1500) == "1500m");
  CHECK(format_bytes(128LL << 20) == "128Mi");
  CHECK(format_bytes(1LL << 30) == "1Gi");
  CHECK(format_bytes(1536LL << 20) == "1536Mi");
  CHECK(format_bytes(1000000000LL) == "1000000000");
  CHECK(format_bytes(0) == "0");
  CHECK(format_bytes(1023) == "1023");
}

TEST_CASE("Container resource names are the standard ones or domain-qualified", "[quantity]") {
  CHECK(is_known_container_resource("cpu"));
  CHECK(is_known_container_resource("memory"));
  CHECK(is_known_container_resource("ephemeral-storage"));
  CHECK(is_known_container_resource("hugepages-2Mi"));
  CHECK(is_known_container_resource("example.com/gpu"));
  CHECK_FALSE(is_known_container_resource("cpus"));
  CHECK_FALSE(is_known_container_resource("Memory"));
  CHECK_FALSE(is_known_container_resource("hugepages-"));
  CHECK_FALSE(is_known_container_resource("/gpu"));
  CHECK_FALSE(is_known_container_resource("example.com/"));
  CHECK_FALSE(is_known_container_resource("kubernetes.io/gpu"));
  CHECK_FALSE(is_known_container_resource("a/b/c"));
  CHECK_FALSE(is_known_container_resource(""));
}
