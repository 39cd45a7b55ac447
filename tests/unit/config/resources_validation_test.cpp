#include <catch2/catch.hpp>

#include "config/objects_json.h"
#include "config/validation.h"

using namespace skiff::config;
using nlohmann::json;

namespace {

std::vector<std::string> problems_with(const json& resources) {
  json doc = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  doc["spec"]["containers"][0]["resources"] = resources;
  std::vector<std::string> out;
  for (const auto& d : decode_object(doc).diagnostics) out.push_back(d.to_string());
  return out;
}

bool mentions(const std::vector<std::string>& all, const std::string& a, const std::string& b) {
  for (const auto& s : all) {
    if (s.find(a) != std::string::npos && s.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("Requests and limits that parse and agree are valid", "[validation][resources]") {
  auto p = problems_with(json::parse(R"({"requests":{"cpu":"100m","memory":"64Mi"},
                                         "limits":{"cpu":"0.5","memory":"128Mi"}})"));
  CHECK(p.empty());
  CHECK(problems_with(json::parse(R"({"requests":{"cpu":"1","memory":"1Gi"},
                                      "limits":{"cpu":"1000m","memory":"1024Mi"}})"))
            .empty());
  CHECK(problems_with(json::parse(R"({"limits":{"example.com/gpu":"1"}})")).empty());
}

TEST_CASE("A request above its limit is refused as the API server words it",
          "[validation][resources]") {
  auto p = problems_with(json::parse(R"({"requests":{"memory":"256Mi"},
                                         "limits":{"memory":"128Mi"}})"));
  INFO(p.size());
  REQUIRE(p.size() == 1);
  CHECK(mentions(p, "spec.containers[0].resources.requests[memory]",
                 "must be less than or equal to memory limit of 128Mi"));
}

TEST_CASE("Unknown resource names and bad quantities are refused", "[validation][resources]") {
  auto p = problems_with(json::parse(R"({"requests":{"cpus":"1","memory":"12XB"},
                                         "limits":{"cpu":"-1"}})"));
  CHECK(mentions(p, "resources.requests[cpus]",
                 "must be a standard resource type or fully qualified"));
  CHECK(mentions(p, "resources.requests[memory]", "unknown suffix \"XB\""));
  CHECK(mentions(p, "resources.limits[cpu]", "must be greater than or equal to 0"));
}
