#include "config/yaml_loader.h"

#include <catch2/catch.hpp>

using namespace skiff::config;

TEST_CASE("plain scalars keep their YAML type, quoted ones stay strings", "[yaml]") {
  YamlLoad y = load_yaml(R"(a: 5000
b: "5000"
c: '5000'
d: true
e: "true"
f: ~
g: 1.5
h: hello world
i: -7
j: 0x1F
k: 99999999999999999999
l: !!str 12
)",
                         "f");
  REQUIRE(y.ok());
  REQUIRE(y.documents.size() == 1);
  const auto& v = y.documents[0].value;
  CHECK(v["a"] == 5000);
  CHECK(v["b"] == "5000");
  CHECK(v["c"] == "5000");
  CHECK(v["d"] == true);
  CHECK(v["e"] == "true");
  CHECK(v["f"].is_null());
  CHECK(v["g"] == 1.5);
  CHECK(v["h"] == "hello world");
  CHECK(v["i"] == -7);
  CHECK(v["j"] == 31);
  CHECK(v["k"].is_number_float());
  CHECK(v["l"] == "12");
}

TEST_CASE("a leading zero is octal, as kubectl reads defaultMode: 0400", "[yaml]") {
  YamlLoad y = load_yaml("a: 0400\nb: 0644\nc: 0o17\nd: 0\ne: '0400'\nf: 089\ng: -010\n", "f");
  REQUIRE(y.ok());
  const auto& v = y.documents[0].value;
  CHECK(v["a"] == 256);
  CHECK(v["b"] == 420);
  CHECK(v["c"] == 15);
  CHECK(v["d"] == 0);
  CHECK(v["e"] == "0400");
  CHECK(v["f"] == 89);  // not octal digits: decimal
  CHECK(v["g"] == -8);
}

TEST_CASE("every field path has its 1-based line and column", "[yaml]") {
  YamlLoad y = load_yaml(R"(spec:
  ports:
  - name: http
    targetPort: 5000
  -   port: 1
)",
                         "f");
  REQUIRE(y.ok());
  const PathMarks& m = y.documents[0].marks;
  CHECK(m.at("spec") == SourceMark{1, 1});
  CHECK(m.at("spec.ports") == SourceMark{2, 3});
  CHECK(m.at("spec.ports[0]") == SourceMark{3, 5});
  // A scalar value is marked where the value stands, so messages about it point there.
  CHECK(m.at("spec.ports[0].targetPort") == SourceMark{4, 17});
  CHECK(m.at("spec.ports[1].port") == SourceMark{5, 13});
  // Absent paths fall back to the nearest ancestor.
  CHECK(find_mark(m, "spec.ports[0].protocol") == SourceMark{3, 5});
  CHECK(find_mark(m, "spec.selector.matchLabels") == SourceMark{1, 1});
  CHECK(find_mark(m, "status") == m.at(""));
}

TEST_CASE("documents: empty ones are skipped, each has its own marks", "[yaml]") {
  YamlLoad y = load_yaml("---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n", "f");
  REQUIRE(y.ok());
  REQUIRE(y.documents.size() == 2);
  CHECK(y.documents[0].value["a"] == 1);
  CHECK(y.documents[1].value["b"] == 2);
  CHECK(y.documents[1].marks.at("b").line == 7);
}

TEST_CASE("malformed YAML is a diagnostic at the parser's mark", "[yaml]") {
  YamlLoad y = load_yaml("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml");
  REQUIRE_FALSE(y.ok());
  REQUIRE(y.diagnostics.size() == 1);
  CHECK(y.diagnostics[0].file == "bad.yaml");
  CHECK(y.diagnostics[0].line > 0);
  CHECK_FALSE(y.diagnostics[0].message.empty());

  y = load_yaml("a: 1\na: 2\n", "dup.yaml");
  REQUIRE(y.diagnostics.size() == 1);
  CHECK(y.diagnostics[0].line == 2);
  CHECK(y.diagnostics[0].message.find("\"a\" already defined") != std::string::npos);
}

TEST_CASE("hostile input is refused, not expanded", "[yaml]") {
  SECTION("deep nesting") {
    std::string deep(200, '[');
    deep += std::string(200, ']');
    YamlLoad y = load_yaml(deep, "f");
    REQUIRE(y.diagnostics.size() == 1);
    CHECK(y.diagnostics[0].message.find("nesting deeper than 64") != std::string::npos);
  }
  SECTION("very deep nesting stops inside yaml-cpp too") {
    std::string deep(100000, '[');
    YamlLoad y = load_yaml(deep, "f");
    CHECK_FALSE(y.ok());
  }
  SECTION("block nesting within the limit is fine") {
    std::string text;
    for (int i = 0; i < 30; ++i) text += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
    CHECK(load_yaml(text, "f").ok());
  }
  SECTION("billion laughs") {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
      std::string prev(1, static_cast<char>(c - 1));
      text += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
              prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
              ", *" + prev + "]\n";
    }
    YamlLoad y = load_yaml(text, "f");
    REQUIRE_FALSE(y.ok());
    CHECK(y.diagnostics[0].message.find("too many nodes") != std::string::npos);
  }
  SECTION("too many documents") {
    std::string text;
    for (size_t i = 0; i <= kMaxYamlDocuments; ++i) text += "---\na: 1\n";
    YamlLoad y = load_yaml(text, "f");
    REQUIRE_FALSE(y.ok());
    CHECK(y.diagnostics[0].message.find("documents") != std::string::npos);
  }
  SECTION("more than the size limit") {
    YamlLoad y = load_yaml(std::string(kMaxManifestBytes + 1, ' '), "f");
    REQUIRE_FALSE(y.ok());
    CHECK(y.documents.empty());
  }
}

TEST_CASE("aliases within the bound are copied", "[yaml]") {
  YamlLoad y = load_yaml("base: &b {app: web}\nother: *b\n", "f");
  REQUIRE(y.ok());
  CHECK(y.documents[0].value["other"]["app"] == "web");
}
