#include "config/labels.h"

#include <catch2/catch.hpp>

using namespace skiff::config;

TEST_CASE("set-based selectors", "[labels]") {
  StringMap labels = {{"app", "web"}, {"tier", "front"}};
  LabelSelector s;
  CHECK(selector_matches(s, labels));  // empty matches everything
  s.match_labels = {{"app", "web"}};
  CHECK(selector_matches(s, labels));
  s.match_labels = {{"app", "db"}};
  CHECK_FALSE(selector_matches(s, labels));
  s.match_labels = {{"app", "web"}};
  s.match_expressions = {{"tier", "In", {"front", "back"}}};
  CHECK(selector_matches(s, labels));
  s.match_expressions = {{"tier", "NotIn", {"front"}}};
  CHECK_FALSE(selector_matches(s, labels));
  s.match_expressions = {{"missing", "NotIn", {"x"}}};
  CHECK(selector_matches(s, labels));
  s.match_expressions = {{"tier", "Exists", {}}};
  CHECK(selector_matches(s, labels));
  s.match_expressions = {{"tier", "DoesNotExist", {}}};
  CHECK_FALSE(selector_matches(s, labels));
  s.match_expressions = {{"tier", "Bogus", {}}};
  CHECK_FALSE(selector_matches(s, labels));
}

TEST_CASE("equality selectors: empty matches nothing", "[labels]") {
  StringMap labels = {{"app", "web"}};
  CHECK_FALSE(selector_matches(StringMap{}, labels));
  CHECK(selector_matches(StringMap{{"app", "web"}}, labels));
  CHECK_FALSE(selector_matches(StringMap{{"app", "web"}, {"x", "y"}}, labels));
}

TEST_CASE("kubectl renderings", "[labels]") {
  CHECK(labels_to_string({{"tier", "web"}, {"app", "flask"}}) == "app=flask,tier=web");
  LabelSelector s;
  s.match_labels = {{"app", "flask"}};
  s.match_expressions = {{"env", "In", {"a", "b"}}, {"x", "DoesNotExist", {}}};
  CHECK(selector_to_string(s) == "app=flask,env in (a,b),!x");
}
