// RFC 7386 appendix A and RFC 6902 appendix A, case by case, plus the API server's error codes.
#include "api/json_patch.h"

#include <catch2/catch.hpp>

using nlohmann::json;
using skiff::api::json_patch;
using skiff::api::merge_patch;

TEST_CASE("merge patch follows every example of RFC 7386 appendix A", "[patch][merge]") {
  const char* cases[][3] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    INFO(c[0] << " + " << c[1]);
    CHECK(merge_patch(json::parse(c[0]), json::parse(c[1])) == json::parse(c[2]));
  }
}

namespace {

json apply_ok(const char* doc, const char* patch) {
  auto result = json_patch(json::parse(doc), json::parse(patch));
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result);
  return *result;
}

int apply_error(const char* doc, const char* patch) {
  auto result = json_patch(json::parse(doc), json::parse(patch));
  REQUIRE_FALSE(result);
  CHECK_FALSE(result.error().message.empty());
  return result.error().code;
}

}  // namespace

TEST_CASE("JSON patch follows the examples of RFC 6902 appendix A", "[patch][json]") {
  // A.1 .. A.8, A.10, A.11, A.14, A.16
  CHECK(apply_ok(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])") ==
        json::parse(R"({"baz":"qux","foo":"bar"})"));
  CHECK(apply_ok(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])") ==
        json::parse(R"({"foo":["bar","qux","baz"]})"));
  CHECK(apply_ok(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])") ==
        json::parse(R"({"foo":"bar"})"));
  CHECK(apply_ok(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])") ==
        json::parse(R"({"foo":["bar","baz"]})"));
  CHECK(apply_ok(R"({"baz":"qux","foo":"bar"})",
                 R"([{"op":"replace","path":"/baz","value":"boo"}])") ==
        json::parse(R"({"baz":"boo","foo":"bar"})"));
  CHECK(apply_ok(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                 R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])") ==
        json::parse(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
  CHECK(apply_ok(R"({"foo":["all","grass","cows","eat"]})",
                 R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])") ==
        json::parse(R"({"foo":["all","cows","eat","grass"]})"));
  CHECK(apply_ok(R"({"baz":"qux","foo":["a",2,"c"]})",
                 R"([{"op":"test","path":"/baz","value":"qux"},
                     {"op":"test","path":"/foo/1","value":2}])") ==
        json::parse(R"({"baz":"qux","foo":["a",2,"c"]})"));
  CHECK(
      apply_ok(R"({"foo":"bar"})", R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])") ==
      json::parse(R"({"foo":"bar","child":{"grandchild":{}}})"));
  CHECK(apply_ok(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])") ==
        json::parse(R"({"foo":"bar","baz":"qux"})"));
  CHECK(apply_ok(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])") ==
        json::parse(R"({"/":9,"~1":10})"));
  CHECK(apply_ok(R"({"/":9,"~1":10})", R"([{"op":"add","path":"/~1","value":1}])") ==
        json::parse(R"({"/":1,"~1":10})"));
  CHECK(apply_ok(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])") ==
        json::parse(R"({"foo":["bar",["abc","def"]]})"));
  CHECK(apply_ok(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])") ==
        json::parse(R"({"a":{"b":1},"c":{"b":1}})"));
}

TEST_CASE("JSON patch errors are 400 for a bad document and 422 for one that does not apply",
          "[patch][json]") {
  // A.9 a failed test, A.12 adding to a nonexistent target, A.15 "10" is not 10.
  CHECK(apply_error(R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])") == 422);
  auto failed = json_patch(json::parse(R"({"baz":"qux"})"),
                           json::parse(R"([{"op":"test","path":"/baz","value":"bar"}])"));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message.find("test failed") != std::string::npos);
  CHECK(failed.error().reason == "Invalid");
  CHECK(apply_error(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])") ==
        422);
  CHECK(apply_error(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])") == 422);
  CHECK(apply_error(R"({"a":1})", R"([{"op":"remove","path":"/nope"}])") == 422);
  CHECK(apply_error(R"({"a":1})", R"([{"op":"replace","path":"a","value":2}])") == 422);
  // Not a patch document at all.
  CHECK(apply_error(R"({"a":1})", R"({"op":"add"})") == 400);
  CHECK(apply_error(R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])") == 400);
  CHECK(apply_error(R"({"a":1})", R"([{"path":"/a"}])") == 400);
  CHECK(apply_error(R"({"a":1})", R"([{"op":"add","path":"/b"}])") == 400);
  CHECK(apply_error(R"({"a":1})", R"([{"op":"move","path":"/b"}])") == 400);
  CHECK(apply_error(R"({"a":1})", R"([7])") == 400);
}

TEST_CASE("a JSON patch that fails part way changes nothing", "[patch][json]") {
  const json doc = json::parse(R"({"a":1,"b":2})");
  auto result = json_patch(doc, json::parse(R"([{"op":"replace","path":"/a","value":5},
                                                {"op":"test","path":"/b","value":3}])"));
  REQUIRE_FALSE(result);
  CHECK(result.error().code == 422);
  CHECK(doc == json::parse(R"({"a":1,"b":2})"));
}
