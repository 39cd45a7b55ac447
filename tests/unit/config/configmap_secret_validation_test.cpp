// Validation and defaulting of ConfigMaps, Secrets and the env that reads them, worded as the
// API server words it. A Secret's value never appears in a message.
#include <catch2/catch.hpp>

#include "config/manifest.h"
#include "config/objects_json.h"
#include "config/validation.h"
#include "tests/unit/config/validation_support.h"

using namespace skiff::config;
using nlohmann::json;
using skiff::test::has;
using skiff::test::problems;

namespace {

std::string all(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

json config_map() {
  return json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},
    "data":{"color":"blue","app.properties":"a=1\n"},"binaryData":{"logo":"iVBORw=="}})");
}

json secret() {
  return json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},
    "data":{"user":"YWRtaW4="},"stringData":{"password":"s3cr3t-value"}})");
}

json pod_with_env(const json& env, const json& env_from = json::array()) {
  json p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  p["spec"]["containers"][0]["env"] = env;
  if (!env_from.empty()) p["spec"]["containers"][0]["envFrom"] = env_from;
  return p;
}

}  // namespace

TEST_CASE("config keys follow Kubernetes' IsConfigMapKey") {
  CHECK(config_key_errors("app.properties").empty());
  CHECK(config_key_errors("KEY_name-1").empty());
  CHECK(config_key_errors(".hidden").empty());
  auto slash = config_key_errors("a/b");
  REQUIRE(slash.size() == 1);
  CHECK(slash[0] ==
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  CHECK(config_key_errors("").size() == 1);
  CHECK(config_key_errors(std::string(254, 'k')).front() == "must be no more than 253 characters");
  CHECK(config_key_errors(".") == std::vector<std::string>{"must not be '.'"});
  CHECK(config_key_errors("..") == std::vector<std::string>{"must not be '..'"});
  CHECK(config_key_errors("..data") == std::vector<std::string>{"must not start with '..'"});
}

TEST_CASE("a valid ConfigMap and Secret load without diagnostics") {
  INFO(all(problems(config_map())));
  CHECK(problems(config_map()).empty());
  INFO(all(problems(secret())));
  CHECK(problems(secret()).empty());
}

TEST_CASE("ConfigMap keys are checked in data and binaryData, which must be disjoint") {
  json cm = config_map();
  cm["data"]["a/b"] = "x";
  cm["data"]["logo"] = "text";
  cm["binaryData"]["..x"] = "AA==";
  auto p = problems(cm);
  INFO(all(p));
  CHECK(p.size() == 3);
  CHECK(has(p,
            "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric "
            "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
            "used for validation is '[-._a-zA-Z0-9]+')"));
  CHECK(has(p, "data[logo]: Invalid value: \"logo\": duplicate of key present in binaryData"));
  CHECK(has(p, "binaryData[..x]: Invalid value: \"..x\": must not start with '..'"));
}

TEST_CASE("ConfigMaps and Secrets hold at most 1 MiB") {
  json cm = config_map();
  cm["data"]["big"] = std::string(1024 * 1024, 'x');
  auto p = problems(cm);
  INFO(all(p));
  CHECK(has(p, "data: Too long: must have at most 1048576 bytes"));
  cm["data"]["big"] = std::string(1024 * 1024 - 40, 'x');  // with the rest: just under
  CHECK(problems(cm).empty());

  json s = secret();
  s["stringData"]["big"] = std::string(1024 * 1024, 'y');
  p = problems(s);
  INFO(all(p));
  CHECK(has(p, "data: Too long: must have at most 1048576 bytes"));
}

TEST_CASE("a Secret's stringData is merged into data and its type defaults to Opaque") {
  auto r = decode_object(secret());
  REQUIRE(r.ok());
  const auto& s = std::get<Secret>(r.objects.at(0));
  CHECK(s.type == "Opaque");
  CHECK(s.data.at("user") == "admin");
  CHECK(s.data.at("password") == "s3cr3t-value");
  CHECK(s.string_data.empty());

  // A typed object (not from JSON) gets the same through apply_defaults.
  Object typed = Secret{};
  std::get<Secret>(typed).metadata.name = "t";
  std::get<Secret>(typed).type = "";
  std::get<Secret>(typed).string_data = {{"k", "v"}};
  apply_defaults(typed);
  CHECK(std::get<Secret>(typed).type == "Opaque");
  CHECK(std::get<Secret>(typed).data.at("k") == "v");
  CHECK(std::get<Secret>(typed).string_data.empty());
  CHECK(validate_object(typed).empty());
}

TEST_CASE("Secret errors name the key and never the value") {
  json s = secret();
  s["stringData"]["bad/key"] = "value-that-must-not-leak";
  s["data"]["b64"] = "bm90IGJhc2U2NA=*";
  auto r = decode_object(s);
  REQUIRE_FALSE(r.ok());
  for (const auto& d : r.diagnostics) {
    CHECK(d.to_string().find("value-that-must-not-leak") == std::string::npos);
    CHECK(d.to_string().find("bm90IGJhc2U2NA") == std::string::npos);
  }
  s["data"].erase("b64");
  auto p = problems(s);
  INFO(all(p));
  REQUIRE(p.size() == 1);
  CHECK(p[0].rfind("data[bad/key]: Invalid value: \"bad/key\": a valid config key", 0) == 0);
}

TEST_CASE("typed Secrets need their keys, as the API server checks") {
  json s = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"tls"},
    "type":"kubernetes.io/tls","stringData":{"tls.crt":"c"}})");
  auto p = problems(s);
  INFO(all(p));
  CHECK(p == std::vector<std::string>{"data[tls.key]: Required value"});
  s = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"ba"},
    "type":"kubernetes.io/basic-auth"})");
  p = problems(s);
  CHECK(has(p, "data[username]: Required value"));
  CHECK(has(p, "data[password]: Required value"));
  s["stringData"] = {{"username", "u"}};
  CHECK(problems(s).empty());
}

TEST_CASE("env valueFrom names exactly one source with what it needs") {
  auto p = problems(pod_with_env(json::parse(R"([
    {"name":"A","value":"x","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
    {"name":"B","valueFrom":{}},
    {"name":"C","valueFrom":{"configMapKeyRef":{"name":"cm","key":"k"},
                             "secretKeyRef":{"name":"s","key":"k"}}},
    {"name":"D","valueFrom":{"configMapKeyRef":{"key":"a/b"}}},
    {"name":"E","valueFrom":{"secretKeyRef":{"name":"s"}}},
    {"name":"F","valueFrom":{"fieldRef":{"fieldPath":"spec.containers"}}},
    {"name":"G","valueFrom":{"fieldRef":{"fieldPath":"metadata.labels['app']"}}},
    {"name":"H","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}
  ])")));
  INFO(all(p));
  const std::string e = "spec.containers[0].env";
  CHECK(has(p, e + "[0].valueFrom: Invalid value: \"\": may not be specified when `value` is "
                   "not empty"));
  CHECK(has(p, e + "[1].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, "
                   "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
  CHECK(has(p, e + "[2].valueFrom: Invalid value: \"\": may not have more than one field "
                   "specified at a time"));
  CHECK(has(p, e + "[3].valueFrom.configMapKeyRef.name: Required value"));
  CHECK(has(p, e + "[3].valueFrom.configMapKeyRef.key: Invalid value: \"a/b\": a valid config key "
                   "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                   "or 'KEY_NAME',  or 'key-name', regex used for validation is "
                   "'[-._a-zA-Z0-9]+')"));
  CHECK(has(p, e + "[4].valueFrom.secretKeyRef.key: Required value"));
  bool unsupported = false;
  for (const auto& s : p) {
    if (s.rfind(e + "[5].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.containers\": "
                    "supported values: ",
                0) == 0) {
      unsupported = true;
    }
  }
  CHECK(unsupported);
  CHECK(p.size() == 7);
}

TEST_CASE("envFrom names exactly one source and a valid prefix") {
  auto p = problems(pod_with_env(json::array(), json::parse(R"([
    {"prefix":"OK_","configMapRef":{"name":"cm"}},
    {"prefix":"1bad","secretRef":{"name":"s"}},
    {},
    {"configMapRef":{"name":"cm"},"secretRef":{"name":"s"}},
    {"configMapRef":{}},
    {"secretRef":{"name":"Not_A_Name"}}
  ])")));
  INFO(all(p));
  const std::string e = "spec.containers[0].envFrom";
  CHECK(has(p, e + "[1].prefix: Invalid value: \"1bad\": a valid environment variable name must "
                   "consist of alphabetic characters, digits, '_', '-', or '.', and must not "
                   "start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', "
                   "regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"));
  CHECK(has(p, e + "[2]: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"));
  CHECK(has(p, e + "[3]: Invalid value: \"\": may not have more than one field specified at a "
                   "time"));
  CHECK(has(p, e + "[4].configMapRef.name: Required value"));
  bool bad_name = false;
  for (const auto& s : p) {
    if (s.rfind(e + "[5].secretRef.name: Invalid value: \"Not_A_Name\": a lowercase RFC 1123 "
                    "subdomain",
                0) == 0) {
      bad_name = true;
    }
  }
  CHECK(bad_name);
  CHECK(p.size() == 5);
}

TEST_CASE("unknown fields of the new kinds and env sources are warned about") {
  json cm = config_map();
  cm["dataa"] = json::object();
  auto p = problems(cm);
  CHECK(has(p, "dataa: unknown field \"dataa\""));
  json pod = pod_with_env(json::parse(
      R"([{"name":"A","valueFrom":{"configMapKeyRef":{"name":"cm","key":"k","optinal":true}}}])"));
  p = problems(pod);
  INFO(all(p));
  CHECK(p.size() == 1);
  CHECK(p.at(0).find(
            "unknown field \"spec.containers[0].env[0].valueFrom.configMapKeyRef.optinal\"") !=
        std::string::npos);
}

TEST_CASE("an immutable ConfigMap or Secret keeps its data, and a Secret its type") {
  ConfigMap cm;
  cm.metadata.name = "settings";
  cm.data = {{"color", "blue"}};
  cm.immutable = true;
  ConfigMap changed = cm;
  changed.data["color"] = "red";
  changed.binary_data["logo"] = "x";
  changed.immutable = false;
  std::vector<std::string> p;
  for (const auto& d : validate_update(cm, changed)) p.push_back(d.to_string());
  INFO(all(p));
  CHECK(p == std::vector<std::string>{
                 "immutable: Forbidden: field is immutable when `immutable` is set",
                 "data: Forbidden: field is immutable when `immutable` is set",
                 "binaryData: Forbidden: field is immutable when `immutable` is set"});
  // Labels may change; a mutable ConfigMap may change at all; the flag may be set.
  changed = cm;
  changed.metadata.labels["tier"] = "web";
  CHECK(validate_update(cm, changed).empty());
  cm.immutable = false;
  changed = cm;
  changed.data["color"] = "red";
  changed.immutable = true;
  CHECK(validate_update(cm, changed).empty());

  Secret s;
  s.metadata.name = "db";
  s.data = {{"password", "old-secret-value"}};
  s.immutable = true;
  Secret next = s;
  next.data["password"] = "new-secret-value";
  next.type = "kubernetes.io/basic-auth";
  p.clear();
  for (const auto& d : validate_update(s, next)) p.push_back(d.to_string());
  INFO(all(p));
  CHECK(p == std::vector<std::string>{
                 "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable",
                 "data: Forbidden: field is immutable when `immutable` is set"});
  for (const auto& line : p) CHECK(line.find("secret-value") == std::string::npos);
}
