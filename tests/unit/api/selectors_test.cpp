#include "api/selectors.h"

#include <catch2/catch.hpp>

#include "config/labels.h"

using skiff::api::field_selector_matches;
using skiff::api::parse_field_selector;
using skiff::api::parse_label_selector;
using skiff::config::StringMap;

namespace {
bool matches(const std::string& selector, const StringMap& labels) {
  auto parsed = parse_label_selector(selector);
  REQUIRE(parsed.ok());
  return skiff::config::selector_matches(*parsed, labels);
}
}  // namespace

TEST_CASE("equality selectors") {
  auto s = parse_label_selector("app=web,tier==front");
  REQUIRE(s.ok());
  CHECK(s->match_labels == StringMap{{"app", "web"}, {"tier", "front"}});
  CHECK(s->match_expressions.empty());
  CHECK(matches("app=web", {{"app", "web"}, {"x", "y"}}));
  CHECK_FALSE(matches("app=web", {{"app", "db"}}));
  CHECK_FALSE(matches("app=web", {}));
}

TEST_CASE("inequality selectors match objects without the key, as in Kubernetes") {
  auto s = parse_label_selector("tier!=db");
  REQUIRE(s.ok());
  REQUIRE(s->match_expressions.size() == 1);
  CHECK(s->match_expressions[0].op == "NotIn");
  CHECK(matches("tier!=db", {{"tier", "web"}}));
  CHECK(matches("tier!=db", {}));
  CHECK_FALSE(matches("tier!=db", {{"tier", "db"}}));
  CHECK(matches("app=web, tier != db", {{"app", "web"}, {"tier", "front"}}));
}

TEST_CASE("set-based and existence selectors") {
  CHECK(matches("env in (prod, staging)", {{"env", "staging"}}));
  CHECK_FALSE(matches("env in (prod,staging)", {{"env", "dev"}}));
  CHECK(matches("env notin (prod)", {{"env", "dev"}}));
  CHECK(matches("canary", {{"canary", ""}}));
  CHECK_FALSE(matches("canary", {}));
  CHECK(matches("!legacy", {{"app", "x"}}));
  CHECK_FALSE(matches("!legacy", {{"legacy", "true"}}));
  CHECK(matches("app=web,env in (a,b),!old", {{"app", "web"}, {"env", "b"}}));
}

TEST_CASE("an empty selector selects everything") {
  auto s = parse_label_selector("");
  REQUIRE(s.ok());
  CHECK(s->empty());
  CHECK(matches("  ", {{"a", "b"}}));
}

TEST_CASE("malformed label selectors are BadRequest naming the problem") {
  const char* bad[] = {"app=",      "=web",      "a=b=c",  "app=web,",
                       "env in (a", "app==we b", "-app=x", "env in (a,b"};
  for (const char* text : bad) {
    INFO(text);
    auto s = parse_label_selector(text);
    if (std::string(text) == "app=") {
      // An empty value is legal in Kubernetes ("app=" selects app with an empty value).
      CHECK(s.ok());
      continue;
    }
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == 400);
    CHECK(s.error().reason == "BadRequest");
    CHECK(s.error().message.find("unable to parse requirement") != std::string::npos);
  }
}

TEST_CASE("field selectors on name and namespace") {
  auto f = parse_field_selector("metadata.name=web,metadata.namespace!=kube-system");
  REQUIRE(f.ok());
  REQUIRE(f->size() == 2);
  skiff::config::ObjectMeta meta;
  meta.name = "web";
  meta.namespace_ = "default";
  CHECK(field_selector_matches(*f, meta));
  meta.namespace_ = "kube-system";
  CHECK_FALSE(field_selector_matches(*f, meta));
  meta.namespace_ = "default";
  meta.name = "db";
  CHECK_FALSE(field_selector_matches(*f, meta));

  auto unsupported = parse_field_selector("status.phase=Running");
  REQUIRE_FALSE(unsupported.ok());
  CHECK(unsupported.error().message == "field label not supported: status.phase");
  CHECK_FALSE(parse_field_selector("metadata.name").ok());
}
