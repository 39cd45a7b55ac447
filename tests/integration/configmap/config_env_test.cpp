// ConfigMaps and Secrets with a real daemon on the process engine: a pod's environment comes
// from both (valueFrom and envFrom) and its process sees the values; a missing key keeps the
// container in CreateContainerConfigError until the ConfigMap gets it; `get`, `describe`,
// events and the daemon's log never show a Secret's value; its state file is mode 0600.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "config/base64.h"
#include "tests/integration/seed/harness.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

// A value that occurs nowhere else, so finding it anywhere is a leak.
constexpr const char* kPassword = "pw-7c1e9d-not-for-logs";
constexpr const char* kToken = "tok-55aa01-not-for-logs";

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("skiff-cfgsec-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

fs::path write_file(const std::string& name, const std::string& text) {
  fs::path p = scratch(name);
  std::ofstream(p) << text;
  return p;
}

// Test case n (1, 2, ...): node 127.27.0.n, pods 127.27.(2n-1).0/24, ClusterIPs 127.27.2n.0/24.
Daemon::Options options(uint16_t port, int n) {
  Daemon::Options o;
  o.api_port = port;
  o.node_address = "127.27.0." + std::to_string(n);
  o.pod_cidr = "127.27." + std::to_string(n * 2 - 1) + ".0/24";
  o.service_cidr = "127.27." + std::to_string(n * 2) + ".0/24";
  return o;
}

// The daemon without manifests, answering its API.
void start(Daemon& d) {
  d.start({"--log-level", "debug"});
  REQUIRE(eventually([&] { return d.skiff("get pods").exit_code == 0; }, 30000ms));
}

// A pod whose one container runs `script` (a shell line) with its output into `out` (whole or
// not at all), then stays up.
std::string pod_manifest(const std::string& name, const fs::path& out, const std::string& script,
                         const std::string& env_yaml) {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
         "\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: app\n"
         "    image: host/sh\n    command: [\"sh\", \"-c\"]\n    args:\n    - |\n      " +
         script + " > " + out.string() + ".tmp && mv " + out.string() + ".tmp " + out.string() +
         " && exec sleep 600\n" + env_yaml;
}

std::string container_waiting(const Daemon& d, const std::string& pod, std::string* message) {
  auto p = d.get_json("pod " + pod);
  if (!p.is_object()) return "";
  const auto& statuses = p["status"].value("containerStatuses", json::array());
  if (statuses.empty()) return "";
  const auto& state = statuses[0].value("state", json::object());
  if (!state.contains("waiting")) return "";
  if (message) *message = state["waiting"].value("message", "");
  return state["waiting"].value("reason", "");
}

}  // namespace

TEST_CASE("a pod's env comes from a ConfigMap and a Secret and the value leaks nowhere") {
  Daemon d(options(27001, 1));
  start(d);
  const fs::path out = scratch("env-out");
  fs::remove(out);
  const std::string objects =
      std::string(
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"
          "  greeting: \"hello $(HOME)\"\n  1st: one\n---\n"
          "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ") +
      kPassword + "\ndata:\n  user: " + skiff::config::base64_encode("admin") +
      "\n  token: " + skiff::config::base64_encode(kToken) + "\n";
  auto applied = d.skiff("apply -f " + write_file("objects.yaml", objects).string());
  REQUIRE(applied.exit_code == 0);
  CHECK(applied.output.find(kPassword) == std::string::npos);

  const std::string env = R"(    envFrom:
    - prefix: CFG_
      configMapRef: {name: settings}
    - configMapRef: {name: settings}
    env:
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: settings, key: color}}
    - name: DB_PASS
      valueFrom: {secretKeyRef: {name: db, key: password}}
    - name: DB_USER
      valueFrom: {secretKeyRef: {name: db, key: user}}
    - name: ME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: MY_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: NODE_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
)";
  const std::string script =
      R"(printf "%s|%s|%s|%s|%s|%s|%s" "$COLOR" "$DB_PASS" "$DB_USER" "$ME" "$MY_IP" "$NODE_IP" "$CFG_greeting")";
  REQUIRE(d.skiff("apply -f " +
                  write_file("envpod.yaml", pod_manifest("envpod", out, script, env)).string())
              .exit_code == 0);
  REQUIRE(eventually([&] { return fs::exists(out); }, 30000ms));
  const std::string seen = read_file(out);
  auto pod = d.get_json("pod envpod");
  REQUIRE(pod.is_object());
  const std::string pod_ip = pod["status"].value("podIP", "");
  CHECK(pod_ip.rfind("127.27.1.", 0) == 0);
  // The ConfigMap's "$(HOME)" stays as written: values from objects are not expanded.
  CHECK(seen ==
        std::string("blue|") + kPassword + "|admin|envpod|" + pod_ip + "|127.27.0.1|hello $(HOME)");

  {  // get lists both kinds as kubectl does
    auto cm = d.skiff("get cm");
    REQUIRE(cm.exit_code == 0);
    CHECK(cm.output.find("NAME") != std::string::npos);
    CHECK(cm.output.find("DATA") != std::string::npos);
    CHECK(cm.output.find("settings   3") != std::string::npos);
    CHECK(d.skiff("get configmaps settings").exit_code == 0);
    auto secrets = d.skiff("get secrets");
    REQUIRE(secrets.exit_code == 0);
    CHECK(secrets.output.find("TYPE") != std::string::npos);
    CHECK(secrets.output.find("db     Opaque   3") != std::string::npos);
    CHECK(secrets.output.find(kPassword) == std::string::npos);
    // The API returns data base64-encoded, with stringData merged in and gone.
    auto json_secret = d.get_json("secret db");
    REQUIRE(json_secret.is_object());
    CHECK(json_secret["data"].value("password", "") == skiff::config::base64_encode(kPassword));
    CHECK_FALSE(json_secret.contains("stringData"));
    CHECK(json_secret.value("type", "") == "Opaque");
  }

  {  // describe shows a Secret's keys and sizes, never its values
    auto r = d.skiff("describe secret db");
    REQUIRE(r.exit_code == 0);
    CHECK(r.output.find("Type:") != std::string::npos);
    CHECK(r.output.find("password:  " + std::to_string(std::string(kPassword).size()) + " bytes") !=
          std::string::npos);
    CHECK(r.output.find("user:      5 bytes") != std::string::npos);
    CHECK(r.output.find(kPassword) == std::string::npos);
    CHECK(r.output.find(kToken) == std::string::npos);
    CHECK(r.output.find(skiff::config::base64_encode(kPassword)) == std::string::npos);
    auto cm = d.skiff("describe cm settings");
    REQUIRE(cm.exit_code == 0);
    CHECK(cm.output.find("color:\n----\nblue") != std::string::npos);
    // A pod's describe says where a value comes from, not what it is.
    auto pod_text = d.skiff("describe pod envpod");
    REQUIRE(pod_text.exit_code == 0);
    CHECK(pod_text.output.find("<set to the key 'password' in secret 'db'>") != std::string::npos);
    CHECK(pod_text.output.find("settings  ConfigMap with prefix 'CFG_'") != std::string::npos);
    CHECK(pod_text.output.find(kPassword) == std::string::npos);
  }

  {  // the Secret's state file is mode 0600 in a 0700 folder
    const fs::path file = d.state_dir() / "objects" / "secrets" / "default" / "db.json";
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat(file.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    // Every file of the state directory that holds the value in the clear (the process
    // engine's container record keeps the env for exec probes after a restart) is 0600 too.
    int holders = 0;
    for (const auto& entry : fs::recursive_directory_iterator(d.state_dir())) {
      if (!entry.is_regular_file() || entry.path().filename() == "daemon.log") continue;
      if (read_file(entry.path()).find(kPassword) == std::string::npos) continue;
      ++holders;
      INFO(entry.path());
      REQUIRE(::stat(entry.path().c_str(), &st) == 0);
      CHECK((st.st_mode & 07777) == 0600);
    }
    CHECK(holders >= 1);
  }

  {  // deleting them works, the running pod keeps its env
    CHECK(d.skiff("delete secret db").exit_code == 0);
    CHECK(d.skiff("delete configmap settings").exit_code == 0);
    CHECK(d.skiff("get secret db").exit_code != 0);
    CHECK(d.skiff("get cm").output.find("settings") == std::string::npos);
    CHECK(container_waiting(d, "envpod", nullptr).empty());
  }

  // "1st" is no variable name without a prefix: skipped, with kubelet's event.
  CHECK(eventually(
      [&] {
        return d.skiff("get events")
                   .output.find(
                       "Keys [1st] from the EnvFrom configMap default/settings were skipped") !=
               std::string::npos;
      },
      10000ms));

  // Neither the events nor the daemon's log (at debug level) hold
  // the Secret's values.
  auto events = d.skiff("get events");
  CHECK(events.output.find(kPassword) == std::string::npos);
  const std::string log = d.log();
  CHECK(log.find(kPassword) == std::string::npos);
  CHECK(log.find(kToken) == std::string::npos);
  CHECK(d.stop() == 0);
}

TEST_CASE("a missing ConfigMap key is CreateContainerConfigError until the ConfigMap has it") {
  Daemon d(options(27002, 2));
  start(d);
  const fs::path out = scratch("late-out");
  fs::remove(out);
  const std::string env = R"(    env:
    - name: LATE
      valueFrom: {configMapKeyRef: {name: late, key: k}}
    - name: MAYBE
      valueFrom: {secretKeyRef: {name: nowhere, key: k, optional: true}}
)";
  REQUIRE(d.skiff("apply -f " +
                  write_file("latepod.yaml", pod_manifest("latepod", out, R"(echo "$LATE")", env))
                      .string())
              .exit_code == 0);

  std::string message;
  REQUIRE(eventually(
      [&] { return container_waiting(d, "latepod", &message) == "CreateContainerConfigError"; },
      30000ms));
  CHECK(message == "configmap \"late\" not found");
  CHECK(d.skiff("get pods").output.find("CreateContainerConfigError") != std::string::npos);
  CHECK(eventually(
      [&] {
        return d.skiff("get events").output.find("Error: configmap \"late\" not found") !=
               std::string::npos;
      },
      10000ms));

  // The ConfigMap appears, still without the key: the message says which key is missing.
  REQUIRE(d.skiff("apply -f " + write_file("late1.yaml",
                                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
                                           "late\ndata:\n  other: x\n")
                                    .string())
              .exit_code == 0);
  CHECK(eventually(
      [&] {
        container_waiting(d, "latepod", &message);
        return message == "couldn't find key k in ConfigMap default/late";
      },
      20000ms));
  CHECK_FALSE(fs::exists(out));

  // With the key the container starts (the ConfigMap change triggers the retry) and sees it.
  const auto applied_at = std::chrono::steady_clock::now();
  REQUIRE(d.skiff("apply -f " + write_file("late2.yaml",
                                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
                                           "late\ndata:\n  other: x\n  k: arrived\n")
                                    .string())
              .exit_code == 0);
  REQUIRE(eventually([&] { return fs::exists(out) && read_file(out) == "arrived\n"; }, 30000ms));
  // Sooner than the periodic retry (10 s): the watch on ConfigMaps started it.
  CHECK(std::chrono::steady_clock::now() - applied_at < 8s);
  CHECK(eventually([&] { return d.skiff("get pods").output.find("Running") != std::string::npos; },
                   10000ms));
  CHECK(d.stop() == 0);
}

TEST_CASE("a Secret manifest with bad base64 or bad keys is refused with the key, not the value") {
  Daemon d(options(27003, 3));
  start(d);
  auto r = d.skiff("apply -f " + write_file("bad64.yaml",
                                            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: "
                                            "bad\ndata:\n  password: not*base64-secretvalue\n")
                                     .string());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("data.password") != std::string::npos);
  CHECK(r.output.find("secretvalue") == std::string::npos);
  r = d.skiff("apply -f " + write_file("badkey.yaml",
                                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
                                       "badkey\ndata:\n  \"a/b\": x\n")
                                .string());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("a valid config key must consist of alphanumeric characters") !=
        std::string::npos);
  CHECK(d.skiff("get cm badkey").exit_code != 0);
  // An immutable ConfigMap refuses new data, as the API server does.
  REQUIRE(d.skiff("apply -f " + write_file("frozen1.yaml",
                                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
                                           "frozen\nimmutable: true\ndata:\n  k: one\n")
                                    .string())
              .exit_code == 0);
  r = d.skiff("apply -f " + write_file("frozen2.yaml",
                                       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
                                       "frozen\nimmutable: true\ndata:\n  k: two\n")
                                .string());
  CHECK(r.exit_code != 0);
  CHECK(r.output.find("data: Forbidden: field is immutable when `immutable` is set") !=
        std::string::npos);
  auto frozen = d.get_json("cm frozen");
  REQUIRE(frozen.is_object());
  CHECK(frozen["data"].value("k", "") == "one");
  CHECK(d.log().find("secretvalue") == std::string::npos);
  CHECK(d.stop() == 0);
}
