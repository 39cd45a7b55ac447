#include "api/watch_filter.h"

#include <catch2/catch.hpp>

#include "api/client.h"

using skiff::api::watch_event_type;
using skiff::api::WatchFilter;
using skiff::config::Object;
using skiff::config::Pod;
using skiff::controller::WatchEvent;

namespace {
skiff::config::ObjectPtr pod(const std::string& ns, const std::string& name,
                             skiff::config::StringMap labels) {
  Pod p;
  p.metadata.namespace_ = ns;
  p.metadata.name = name;
  p.metadata.labels = std::move(labels);
  return std::make_shared<const Object>(p);
}
}  // namespace

TEST_CASE("watch events are filtered by namespace and labels") {
  WatchFilter filter;
  filter.ns = "default";
  filter.labels.match_labels = {{"app", "web"}};
  auto web = pod("default", "web-1", {{"app", "web"}});
  auto other_ns = pod("prod", "web-1", {{"app", "web"}});
  auto db = pod("default", "db-1", {{"app", "db"}});
  CHECK(watch_event_type(filter, {WatchEvent::Type::kAdded, web, nullptr}) == "ADDED");
  CHECK_FALSE(watch_event_type(filter, {WatchEvent::Type::kAdded, other_ns, nullptr}));
  CHECK_FALSE(watch_event_type(filter, {WatchEvent::Type::kAdded, db, nullptr}));
  CHECK(watch_event_type(filter, {WatchEvent::Type::kModified, web, web}) == "MODIFIED");
  CHECK(watch_event_type(filter, {WatchEvent::Type::kDeleted, web, web}) == "DELETED");
}

TEST_CASE("a relabel moves an object into or out of a selection as ADDED or DELETED") {
  WatchFilter filter;
  filter.labels.match_labels = {{"app", "web"}};
  auto before = pod("default", "p", {{"app", "web"}});
  auto after = pod("default", "p", {{"app", "other"}});
  CHECK(watch_event_type(filter, {WatchEvent::Type::kModified, after, before}) == "DELETED");
  CHECK(watch_event_type(filter, {WatchEvent::Type::kModified, before, after}) == "ADDED");
  CHECK_FALSE(watch_event_type(filter, {WatchEvent::Type::kModified, after, after}));
}

TEST_CASE("watch lines are one JSON object per line") {
  auto line = skiff::api::watch_line("ADDED", *pod("default", "web-1", {}));
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  auto j = nlohmann::json::parse(line);
  CHECK(j["type"] == "ADDED");
  CHECK(j["object"]["kind"] == "Pod");
  CHECK(j["object"]["metadata"]["name"] == "web-1");
}

TEST_CASE("error replies become ApiErrors") {
  auto status = skiff::api::error_from_reply(
      422,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Deployment \"web\" is invalid: spec.replicas: bad","reason":"Invalid","details":{"causes":[{"field":"spec.replicas","reason":"FieldValueInvalid","message":"spec.replicas: bad"}]},"code":422})");
  CHECK(status.code == 422);
  CHECK(status.reason == "Invalid");
  CHECK(status.message == "Deployment \"web\" is invalid: spec.replicas: bad");
  REQUIRE(status.causes.size() == 1);
  CHECK(status.causes[0].field == "spec.replicas");

  auto plain = skiff::api::error_from_reply(502, "upstream broke\n");
  CHECK(plain.code == 502);
  CHECK(plain.reason == "InternalError");
  CHECK(plain.message == "upstream broke");
}
