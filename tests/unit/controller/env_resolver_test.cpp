#include "controller/env_resolver.h"

#include <catch2/catch.hpp>
#include <map>

#include "controller/container_command.h"

using namespace skiff::controller;
using skiff::config::ConfigMap;
using skiff::config::Container;
using skiff::config::EnvFromRef;
using skiff::config::EnvFromSource;
using skiff::config::EnvVar;
using skiff::config::EnvVarSource;
using skiff::config::KeySelector;
using skiff::config::ObjectFieldSelector;
using skiff::config::Pod;
using skiff::config::Secret;

namespace {

// An in-memory cluster behind a ConfigLookup, keyed "namespace/name".
struct FakeObjects {
  std::map<std::string, ConfigMap> config_maps;
  std::map<std::string, Secret> secrets;
  int config_map_lookups = 0;

  ConfigLookup lookup() {
    ConfigLookup l;
    l.config_map = [this](std::string_view ns, std::string_view name) {
      ++config_map_lookups;
      auto it = config_maps.find(std::string(ns) + "/" + std::string(name));
      return it == config_maps.end() ? nullptr : std::make_shared<const ConfigMap>(it->second);
    };
    l.secret = [this](std::string_view ns, std::string_view name) {
      auto it = secrets.find(std::string(ns) + "/" + std::string(name));
      return it == secrets.end() ? nullptr : std::make_shared<const Secret>(it->second);
    };
    return l;
  }
};

Pod web_pod() {
  Pod pod;
  pod.metadata.name = "web-1";
  pod.metadata.namespace_ = "shop";
  pod.metadata.uid = "6f1c0e5a-uid";
  pod.metadata.labels = {{"app", "web"}};
  pod.metadata.annotations = {{"team", "core"}};
  pod.spec.node_name = "skiff";
  Container c;
  c.name = "app";
  c.image = "busybox";
  pod.spec.containers.push_back(c);
  return pod;
}

EnvVar from_config_map(const std::string& name, const std::string& cm, const std::string& key,
                       bool optional = false) {
  EnvVarSource src;
  src.config_map_key_ref = KeySelector{cm, key, optional};
  return EnvVar{name, "", src};
}

EnvVar from_secret(const std::string& name, const std::string& secret, const std::string& key,
                   bool optional = false) {
  EnvVarSource src;
  src.secret_key_ref = KeySelector{secret, key, optional};
  return EnvVar{name, "", src};
}

EnvVar from_field(const std::string& name, const std::string& path) {
  EnvVarSource src;
  src.field_ref = ObjectFieldSelector{path, "v1"};
  return EnvVar{name, "", src};
}

std::map<std::string, std::string> as_map(const std::vector<EnvVar>& env) {
  std::map<std::string, std::string> out;
  for (const auto& e : env) out[e.name] = e.value;
  return out;
}

FakeObjects shop_objects() {
  FakeObjects objects;
  ConfigMap cm;
  cm.metadata.name = "settings";
  cm.metadata.namespace_ = "shop";
  cm.data = {{"color", "blue"}, {"greeting", "hello $(USER) $$"}};
  cm.binary_data = {{"logo.png", std::string("\x89PNG\0", 5)}};
  objects.config_maps["shop/settings"] = cm;
  Secret s;
  s.metadata.name = "db";
  s.metadata.namespace_ = "shop";
  s.data = {{"password", "s3cr3t!"}, {"user", "admin"}};
  objects.secrets["shop/db"] = s;
  return objects;
}

}  // namespace

TEST_CASE("configMapKeyRef and secretKeyRef give the key's value, byte for byte") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  c.env = {from_config_map("COLOR", "settings", "color"), from_secret("DB_PASS", "db", "password"),
           EnvVar{"PLAIN", "x", std::nullopt}};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  auto env = as_map(r->env);
  CHECK(env["COLOR"] == "blue");
  CHECK(env["DB_PASS"] == "s3cr3t!");
  CHECK(env["PLAIN"] == "x");
  CHECK(r->warnings.empty());
}

TEST_CASE("values from objects are not $(VAR)-expanded, literal values are") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  c.env = {EnvVar{"USER", "bob", std::nullopt}, from_config_map("GREETING", "settings", "greeting"),
           EnvVar{"SAY", "hi $(USER)", std::nullopt}};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  Container resolved = c;
  resolved.env = r->env;
  PodEnvContext ctx;
  ctx.pod_name = "web-1";
  EnvList env = container_env(resolved, {}, ctx);
  auto value = [&](const std::string& name) {
    for (const auto& [k, v] : env) {
      if (k == name) return v;
    }
    return std::string("<unset>");
  };
  CHECK(value("GREETING") == "hello $(USER) $$");  // as stored in the ConfigMap
  CHECK(value("SAY") == "hi bob");
}

TEST_CASE("a missing ConfigMap or key is kubelet's CreateContainerConfigError message") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];

  c.env = {from_config_map("X", "absent", "k")};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "configmap \"absent\" not found");

  c.env = {from_config_map("X", "settings", "nope")};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "couldn't find key nope in ConfigMap shop/settings");

  // binaryData is not a source of env, as in kubelet.
  c.env = {from_config_map("X", "settings", "logo.png")};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "couldn't find key logo.png in ConfigMap shop/settings");

  c.env = {from_secret("X", "absent", "k")};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "secret \"absent\" not found");

  c.env = {from_secret("X", "db", "token")};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "couldn't find key token in Secret shop/db");
}

TEST_CASE("objects of another namespace are not visible") {
  FakeObjects objects = shop_objects();
  Pod pod = web_pod();
  pod.metadata.namespace_ = "default";
  Container c = pod.spec.containers[0];
  c.env = {from_config_map("COLOR", "settings", "color")};
  auto r = resolve_env(pod, c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "configmap \"settings\" not found");
}

TEST_CASE("optional references that cannot be satisfied are skipped") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  c.env = {from_config_map("A", "absent", "k", true),
           from_config_map("B", "settings", "nope", true), from_secret("C", "absent", "k", true),
           from_secret("D", "db", "nope", true), from_config_map("E", "settings", "color", true)};
  EnvFromSource optional_from;
  optional_from.config_map_ref = EnvFromRef{"absent", true};
  EnvFromSource optional_secret;
  optional_secret.secret_ref = EnvFromRef{"absent", true};
  c.env_from = {optional_from, optional_secret};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  auto env = as_map(r->env);
  CHECK(env.size() == 1);
  CHECK(env["E"] == "blue");
}

TEST_CASE("envFrom sets every key under its prefix and env entries override it") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  EnvFromSource cm;
  cm.prefix = "CFG_";
  cm.config_map_ref = EnvFromRef{"settings", false};
  EnvFromSource secret;
  secret.secret_ref = EnvFromRef{"db", false};
  c.env_from = {cm, secret};
  c.env = {EnvVar{"user", "override", std::nullopt}};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  auto env = as_map(r->env);
  CHECK(env["CFG_color"] == "blue");
  CHECK(env["CFG_greeting"] == "hello $$(USER) $$$$");  // doubled: literal after expansion
  CHECK(env["password"] == "s3cr3t!");
  CHECK(env["user"] == "override");
  CHECK(env.count("CFG_logo.png") == 0);  // binaryData is not env
  CHECK(env.size() == 4);
}

TEST_CASE("envFrom without its object fails unless optional") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  EnvFromSource cm;
  cm.config_map_ref = EnvFromRef{"absent", false};
  c.env_from = {cm};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "configmap \"absent\" not found");
  EnvFromSource s;
  s.secret_ref = EnvFromRef{"absent", false};
  c.env_from = {s};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "secret \"absent\" not found");
}

TEST_CASE("envFrom keys that are not variable names are skipped with kubelet's warning") {
  FakeObjects objects = shop_objects();
  ConfigMap& cm = objects.config_maps["shop/settings"];
  cm.data["1st"] = "one";
  cm.data["..hidden"] = "h";
  cm.data["ok.name-1"] = "fine";
  Secret& s = objects.secrets["shop/db"];
  s.data["9lives"] = "cat-secret-value";
  Container c = web_pod().spec.containers[0];
  EnvFromSource from_cm;
  from_cm.config_map_ref = EnvFromRef{"settings", false};
  EnvFromSource from_secret_src;
  from_secret_src.secret_ref = EnvFromRef{"db", false};
  c.env_from = {from_cm, from_secret_src};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  auto env = as_map(r->env);
  CHECK(env["ok.name-1"] == "fine");
  CHECK(env.count("1st") == 0);
  CHECK(env.count("..hidden") == 0);
  CHECK(env.count("9lives") == 0);
  REQUIRE(r->warnings.size() == 2);
  CHECK(r->warnings[0] ==
        "Keys [..hidden, 1st] from the EnvFrom configMap shop/settings were skipped since they "
        "are considered invalid environment variable names.");
  CHECK(r->warnings[1] ==
        "Keys [9lives] from the EnvFrom secret shop/db were skipped since they are considered "
        "invalid environment variable names.");
  CHECK(r->warnings[1].find("cat-secret-value") == std::string::npos);

  // A prefix can make a key valid.
  c.env_from[0].prefix = "P_";
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  CHECK(as_map(r->env)["P_1st"] == "one");
}

TEST_CASE("fieldRef reads the pod's metadata, node and addresses") {
  FakeObjects objects;
  Container c = web_pod().spec.containers[0];
  c.env = {from_field("N", "metadata.name"),
           from_field("NS", "metadata.namespace"),
           from_field("UID", "metadata.uid"),
           from_field("NODE", "spec.nodeName"),
           from_field("IP", "status.podIP"),
           from_field("HOST", "status.hostIP"),
           from_field("APP", "metadata.labels['app']"),
           from_field("TEAM", "metadata.annotations['team']"),
           from_field("NOLABEL", "metadata.labels['absent']")};
  auto r =
      resolve_env(web_pod(), c, EnvFieldContext{"127.27.1.5", "127.27.0.1", {}}, objects.lookup());
  REQUIRE(r.ok());
  auto env = as_map(r->env);
  CHECK(env["N"] == "web-1");
  CHECK(env["NS"] == "shop");
  CHECK(env["UID"] == "6f1c0e5a-uid");
  CHECK(env["NODE"] == "skiff");
  CHECK(env["IP"] == "127.27.1.5");
  CHECK(env["HOST"] == "127.27.0.1");
  CHECK(env["APP"] == "web");
  CHECK(env["TEAM"] == "core");
  CHECK(env["NOLABEL"] == "");

  c.env = {from_field("X", "spec.containers")};
  r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "unsupported fieldPath: spec.containers");
}

TEST_CASE("each object is looked up once per resolution") {
  FakeObjects objects = shop_objects();
  Container c = web_pod().spec.containers[0];
  c.env = {from_config_map("A", "settings", "color"), from_config_map("B", "settings", "greeting"),
           from_config_map("C", "absent", "k", true), from_config_map("D", "absent", "k", true)};
  auto r = resolve_env(web_pod(), c, {}, objects.lookup());
  REQUIRE(r.ok());
  CHECK(objects.config_map_lookups == 2);
}
