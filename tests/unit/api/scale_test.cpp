#include "api/scale.h"

#include <catch2/catch.hpp>

using skiff::api::apply_scale;
using skiff::api::scale_from_json;
using skiff::api::scale_to_json;

TEST_CASE("a Deployment's Scale carries spec and status replicas and the selector") {
  skiff::config::Deployment d;
  d.metadata.name = "web";
  d.metadata.resource_version = 7;
  d.spec.replicas = 3;
  d.status.replicas = 2;
  d.spec.selector.match_labels = {{"app", "web"}};
  auto j = scale_to_json(skiff::config::Object(d));
  CHECK(j["kind"] == "Scale");
  CHECK(j["apiVersion"] == "autoscaling/v1");
  CHECK(j["metadata"]["name"] == "web");
  CHECK(j["metadata"]["resourceVersion"] == "7");
  CHECK(j["spec"]["replicas"] == 3);
  CHECK(j["status"]["replicas"] == 2);
  CHECK(j["status"]["selector"] == "app=web");
}

TEST_CASE("a Scale body sets replicas and the resourceVersion precondition") {
  auto change = scale_from_json(
      nlohmann::json::parse(R"({"metadata":{"resourceVersion":"12"},"spec":{"replicas":5}})"));
  REQUIRE(change.ok());
  CHECK(change->replicas == 5);
  CHECK(change->resource_version == 12);
  skiff::config::ReplicaSet rs;
  rs.spec.replicas = 1;
  auto next = apply_scale(skiff::config::Object(rs), *change);
  CHECK(std::get<skiff::config::ReplicaSet>(next).spec.replicas == 5);
  CHECK(skiff::config::meta(next).resource_version == 12);
}

TEST_CASE("bad Scale bodies") {
  auto negative = scale_from_json(nlohmann::json::parse(R"({"spec":{"replicas":-1}})"));
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().code == 422);
  CHECK(negative.error().message.find("must be greater than or equal to 0") != std::string::npos);
  auto missing = scale_from_json(nlohmann::json::parse(R"({"spec":{}})"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == 422);
  auto wrong_type = scale_from_json(nlohmann::json::parse(R"({"spec":{"replicas":"3"}})"));
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().code == 400);
}
