#include "api/openapi.h"

#include <catch2/catch.hpp>
#include <set>

#include "api/field_validation.h"
#include "api/routes.h"
#include "config/kinds.h"

using namespace skiff::api;
using nlohmann::json;
using skiff::config::Diagnostic;

namespace {

// The PATCH operation whose x-kubernetes-group-version-kind is the one given, as kubectl's
// QueryParamVerifierV3 looks it up; null when none.
json patch_for(const json& doc, const std::string& group, const std::string& version,
               const std::string& kind) {
  for (const auto& [path, item] : doc["paths"].items()) {
    if (!item.contains("patch")) continue;
    const json& gvk = item["patch"]["x-kubernetes-group-version-kind"];
    if (gvk["group"] == group && gvk["version"] == version && gvk["kind"] == kind) {
      return item["patch"];
    }
  }
  return nullptr;
}

bool has_query_param(const json& op, const std::string& name) {
  for (const auto& p : op["parameters"]) {
    if (p["name"] == name && p["in"] == "query") return true;
  }
  return false;
}

Diagnostic warning(const std::string& field, const std::string& message) {
  Diagnostic d;
  d.severity = Diagnostic::Severity::kWarning;
  d.field = field;
  d.message = message;
  return d;
}

}  // namespace

TEST_CASE("the openapi v3 index names one document per served group version") {
  const json index = openapi_index();
  REQUIRE(index["paths"].size() == 2);
  for (const std::string key : {"api/v1", "apis/apps/v1"}) {
    INFO(key);
    REQUIRE(index["paths"].contains(key));
    const std::string url = index["paths"][key]["serverRelativeURL"];
    CHECK(url.rfind("/openapi/v3/" + key + "?hash=", 0) == 0);
    // The URL routes to the document of that group version.
    auto route = parse_route(split_target(url).path);
    REQUIRE(route);
    CHECK(route->endpoint == Endpoint::kOpenApiDoc);
    CHECK(openapi_path_for(route->group_version) == key);
  }
  CHECK(index == openapi_index());  // stable: the hash is the document's
  auto root = parse_route("/openapi/v3");
  REQUIRE(root);
  CHECK(root->endpoint == Endpoint::kOpenApiIndex);
  CHECK_FALSE(parse_route("/openapi/v3/apis/batch/v1"));
  CHECK_FALSE(parse_route("/openapi/v3/api"));
  CHECK_FALSE(parse_route("/openapi/v2"));
  CHECK_FALSE(openapi_document("batch/v1"));
}

TEST_CASE("every served kind has its paths with fieldValidation on create, update and patch") {
  for (skiff::config::Kind kind : skiff::config::kAllKinds) {
    const auto& info = skiff::config::kind_info(kind);
    INFO(info.name);
    auto doc = openapi_document(info.api_version);
    REQUIRE(doc);
    CHECK((*doc)["openapi"] == "3.0.0");
    CHECK((*doc)["components"]["schemas"].is_object());
    const std::string gv(info.api_version);
    const std::string group = gv.find('/') == std::string::npos ? "" : gv.substr(0, gv.find('/'));
    const std::string version = gv.substr(gv.find('/') == std::string::npos ? 0 : gv.find('/') + 1);
    const json patch = patch_for(*doc, group, version, std::string(info.name));
    REQUIRE(patch.is_object());
    CHECK(has_query_param(patch, "fieldValidation"));
    CHECK(patch["x-kubernetes-action"] == "patch");

    // Every declared path is one the router serves, and create/replace carry the parameter.
    const std::string collection = skiff::config::collection_path(kind, "default");
    const std::string collection_key =
        info.namespaced ? collection.substr(0, collection.find("/namespaces/")) +
                              "/namespaces/{namespace}/" + std::string(info.resource)
                        : collection;
    REQUIRE((*doc)["paths"].contains(collection_key));
    const json& coll = (*doc)["paths"][collection_key];
    CHECK(has_query_param(coll["post"], "fieldValidation"));
    CHECK(coll["post"]["x-kubernetes-action"] == "post");
    CHECK(coll["get"]["x-kubernetes-action"] == "list");
    const json& item = (*doc)["paths"][collection_key + "/{name}"];
    CHECK(has_query_param(item["put"], "fieldValidation"));
    CHECK(item["delete"]["x-kubernetes-action"] == "delete");
  }
  for (const std::string gv : {"v1", "apps/v1"}) {
    for (const auto& [path, item] : (*openapi_document(gv))["paths"].items()) {
      INFO(path);
      std::string concrete = path;
      for (const std::string var : {"{namespace}", "{name}"}) {
        auto at = concrete.find(var);
        if (at != std::string::npos) concrete.replace(at, var.size(), "x");
      }
      CHECK(parse_route(concrete));
    }
  }
}

TEST_CASE("fieldValidation parses as the API server reads it") {
  using Q = std::map<std::string, std::string>;
  CHECK(parse_field_validation(Q{}, "CreateOptions").value() == FieldValidation::kWarn);
  CHECK(parse_field_validation(Q{{"fieldValidation", ""}}, "CreateOptions").value() ==
        FieldValidation::kWarn);
  CHECK(parse_field_validation(Q{{"fieldValidation", "Strict"}}, "CreateOptions").value() ==
        FieldValidation::kStrict);
  CHECK(parse_field_validation(Q{{"fieldValidation", "Ignore"}}, "PatchOptions").value() ==
        FieldValidation::kIgnore);
  auto bad = parse_field_validation(Q{{"fieldValidation", "strict"}}, "UpdateOptions");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == 422);
  CHECK(bad.error().message ==
        "UpdateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: "
        "\"strict\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
  REQUIRE(bad.error().causes.size() == 1);
  CHECK(bad.error().causes[0].field == "fieldValidation");
}

TEST_CASE("unknown fields are refused, warned about or dropped per fieldValidation") {
  const std::vector<Diagnostic> found = {
      warning("spec.replica", "unknown field \"spec.replica\""),
      warning("spec.template.spec.containers[0].imag",
              "unknown field \"spec.template.spec.containers[0].imag\""),
      warning("spec.selector", "defaulted from the template's labels")};
  auto strict = field_warnings({}, found, FieldValidation::kStrict, "Deployment", "v1");
  REQUIRE_FALSE(strict);
  CHECK(strict.error().code == 400);
  CHECK(strict.error().reason == "BadRequest");
  CHECK(strict.error().message ==
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
        "unknown field \"spec.replica\", unknown field "
        "\"spec.template.spec.containers[0].imag\"");

  auto warn = field_warnings({}, found, FieldValidation::kWarn, "Deployment", "v1");
  REQUIRE(warn);
  CHECK(warn.value() ==
        std::vector<std::string>{"unknown field \"spec.replica\"",
                                 "unknown field \"spec.template.spec.containers[0].imag\"",
                                 "spec.selector: defaulted from the template's labels"});
  auto ignore = field_warnings({}, found, FieldValidation::kIgnore, "Deployment", "v1");
  REQUIRE(ignore);
  CHECK(ignore.value() ==
        std::vector<std::string>{"spec.selector: defaulted from the template's labels"});
  // Without unknown fields Strict accepts.
  auto clean = field_warnings({}, {found[2]}, FieldValidation::kStrict, "Deployment", "v1");
  REQUIRE(clean);
  CHECK(clean.value().size() == 1);
}

TEST_CASE("duplicate fields are found per object and judged with the unknown ones") {
  CHECK(duplicate_fields(R"({"a":1,"b":{"a":2,"c":[{"a":1},{"a":2}]}})").empty());
  CHECK(duplicate_fields(R"({"spec":{"replicas":1,"replicas":2},"x":{"q\"":1,"q\"":2}})") ==
        std::vector<std::string>{"duplicate field \"replicas\"", "duplicate field \"q\\\"\""});
  CHECK(duplicate_fields(R"([{"op":"add","op":"remove"}])") ==
        std::vector<std::string>{"duplicate field \"op\""});
  CHECK(duplicate_fields(R"({"a":1,"a":)").empty());  // not JSON: the decoder says so
  CHECK(duplicate_fields("").empty());

  const std::vector<std::string> dupes = {"duplicate field \"replicas\""};
  const std::vector<Diagnostic> unknown = {warning("spec.foo", "unknown field \"spec.foo\"")};
  auto strict = field_warnings(dupes, unknown, FieldValidation::kStrict, "Deployment", "v1");
  REQUIRE_FALSE(strict);
  CHECK(strict.error().message ==
        "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
        "duplicate field \"replicas\", unknown field \"spec.foo\"");
  auto warn = field_warnings(dupes, unknown, FieldValidation::kWarn, "Deployment", "v1");
  REQUIRE(warn);
  CHECK(warn.value() ==
        std::vector<std::string>{"duplicate field \"replicas\"", "unknown field \"spec.foo\""});
  auto ignore = field_warnings(dupes, unknown, FieldValidation::kIgnore, "Deployment", "v1");
  REQUIRE(ignore);
  CHECK(ignore.value().empty());
}
