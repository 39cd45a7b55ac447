// The rollout fields of a Deployment, refused as the API server refuses them.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "config/validation.h"
#include "tests/unit/config/validation_support.h"

using namespace skiff::config;
using nlohmann::json;
using skiff::test::has;
using skiff::test::problems;

namespace {

json deployment(const json& extra_spec) {
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":4,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}})");
  d["spec"].update(extra_spec);
  return d;
}

}  // namespace

TEST_CASE("maxSurge and maxUnavailable both 0 is refused, either alone is fine") {
  auto both = deployment({{"strategy",
                           {{"type", "RollingUpdate"},
                            {"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", "0%"}}}}}});
  CHECK(problems(both) == std::vector<std::string>{"spec.strategy.rollingUpdate.maxUnavailable: "
                                                   "Invalid value: 0: may not be 0 when "
                                                   "`maxSurge` is 0"});
  auto surge_only =
      deployment({{"strategy", {{"rollingUpdate", {{"maxSurge", "50%"}, {"maxUnavailable", 0}}}}}});
  CHECK(problems(surge_only).empty());
  auto defaults = deployment(json::object());
  CHECK(problems(defaults).empty());
  auto recreate = deployment({{"strategy", {{"type", "Recreate"}}}});
  CHECK(problems(recreate).empty());
}

TEST_CASE("rollout values must be non-negative integers or percentages") {
  auto bad =
      deployment({{"strategy", {{"rollingUpdate", {{"maxSurge", "x"}, {"maxUnavailable", -1}}}}}});
  auto p = problems(bad);
  REQUIRE(p.size() == 2);
  CHECK(p[0].rfind("spec.strategy.rollingUpdate.maxSurge: Invalid value: \"x\": a valid percent "
                   "string must be",
                   0) == 0);
  CHECK(p[1] ==
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater "
        "than or equal to 0");
  auto over = deployment({{"strategy", {{"rollingUpdate", {{"maxUnavailable", "150%"}}}}}});
  CHECK(problems(over) == std::vector<std::string>{"spec.strategy.rollingUpdate.maxUnavailable: "
                                                   "Invalid value: \"150%\": must not be greater "
                                                   "than 100%"});
}

TEST_CASE("deadline, history and minReadySeconds bounds") {
  CHECK(problems(deployment({{"revisionHistoryLimit", -1}})) ==
        std::vector<std::string>{
            "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"});
  CHECK(problems(deployment({{"progressDeadlineSeconds", 0}})) ==
        std::vector<std::string>{
            "spec.progressDeadlineSeconds: Invalid value: 0: must be greater than 0"});
  CHECK(problems(deployment({{"progressDeadlineSeconds", 10}, {"minReadySeconds", 10}})) ==
        std::vector<std::string>{"spec.progressDeadlineSeconds: Invalid value: 10: must be "
                                 "greater than minReadySeconds"});
  CHECK(problems(deployment({{"minReadySeconds", -2}})) ==
        std::vector<std::string>{
            "spec.minReadySeconds: Invalid value: -2: must be greater than or equal to 0"});
}
