#include "config/yaml_emit.h"

#include <catch2/catch.hpp>

#include "config/yaml_loader.h"

using namespace skiff::config;
using nlohmann::json;

namespace {

json round_trip(const json& j) {
  const std::string text = to_yaml(j);
  YamlLoad y = load_yaml(text, "emitted");
  INFO(text);
  REQUIRE(y.ok());
  REQUIRE(y.documents.size() == 1);
  return y.documents[0].value;
}

}  // namespace

TEST_CASE("to_yaml writes block style with indentless sequences", "[yaml_emit]") {
  json j = {{"kind", "Service"},
            {"spec", {{"ports", {{{"port", 6000}, {"protocol", "TCP"}}}}, {"type", "ClusterIP"}}}};
  CHECK(to_yaml(j) ==
        "kind: Service\n"
        "spec:\n"
        "  ports:\n"
        "  - port: 6000\n"
        "    protocol: TCP\n"
        "  type: ClusterIP\n");
}

TEST_CASE("strings YAML would misread are quoted", "[yaml_emit]") {
  json j = {{"empty", ""},      {"bool", "true"},   {"num", "5000"},     {"float", "1.5"},
            {"colon", "a: b"},  {"hash", "#x"},     {"comment", "a #b"}, {"dash", "- x"},
            {"star", "*ref"},   {"null", "null"},   {"yes", "yes"},      {"nl", "a\nb"},
            {"plain", "hello"}, {"quote", "\"q\""}, {"lead", " x"}};
  const std::string text = to_yaml(j);
  CHECK(text.find("plain: hello\n") != std::string::npos);
  CHECK(text.find("num: \"5000\"\n") != std::string::npos);
  CHECK(text.find("empty: \"\"\n") != std::string::npos);
  CHECK(round_trip(j) == j);
}

TEST_CASE("round trip keeps types and nesting", "[yaml_emit]") {
  json j = {{"a", {1, "2", true, nullptr, 2.5, json::object(), json::array()}},
            {"b", {{"c", {{"d", {{"e", "f"}}}}}}},
            {"nested", {{1, 2}, {{{"x", 1}}}}},
            {"true", false},
            {"5000", "key is numeric"}};
  CHECK(round_trip(j) == j);
  CHECK(round_trip(json::array()) == json::array());
  CHECK(round_trip(json::object()) == json::object());
}
