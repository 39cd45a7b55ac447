#include "api/json_body.h"

#include <catch2/catch.hpp>
#include <string>

using skiff::api::json_nesting;
using skiff::api::kMaxBodyNesting;
using skiff::api::parse_json_body;

TEST_CASE("JSON nesting is counted over arrays and objects, never inside strings") {
  CHECK(json_nesting("") == 0);
  CHECK(json_nesting("1") == 0);
  CHECK(json_nesting("{}") == 1);
  CHECK(json_nesting(R"({"a":[{"b":[1,2]},{}],"c":{}})") == 4);
  CHECK(json_nesting(R"({"a":"[[[{{{"})") == 1);
  CHECK(json_nesting(R"({"a":"\"[[[","b":"\\"})") == 1);  // escaped quote, escaped backslash
  CHECK(json_nesting(R"(["\\\"[[["])") == 1);
  // Stops counting just past the limit, however deep the text goes.
  CHECK(json_nesting(std::string(100000, '['), 10) == 11);
}

TEST_CASE("A body nested deeper than the limit is a 400 before anything parses it") {
  const size_t n = 1000000;
  std::string deep = std::string(n, '[') + std::string(n, ']');
  auto r = parse_json_body(deep, "patch body");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 400);
  CHECK(r.error().message == "malformed patch body: it nests arrays and objects deeper than " +
                                 std::to_string(kMaxBodyNesting) + " levels");

  std::string at_limit = std::string(kMaxBodyNesting, '[') + std::string(kMaxBodyNesting, ']');
  CHECK(parse_json_body(at_limit, "JSON body"));
  std::string over = "[" + at_limit + "]";
  CHECK_FALSE(parse_json_body(over, "JSON body"));
}

TEST_CASE("Malformed JSON bodies say where, without the library's exception prefix") {
  auto r = parse_json_body(R"({"a":)", "JSON body");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == 400);
  CHECK(r.error().message.rfind("malformed JSON body: parse error at line 1, column 6", 0) == 0);
  auto ok = parse_json_body(R"({"a":[1,{"b":null}]})", "JSON body");
  REQUIRE(ok);
  CHECK((*ok)["a"][1].contains("b"));
}
