// kubectl apply/create without --validate=false: kubectl reads /openapi/v3, finds the
// fieldValidation parameter on the kind's PATCH operation and leaves validation to the server,
// which refuses (Strict), warns about (Warn) or drops (Ignore) unknown fields. With the real
// kubectl against a real daemon, and raw HTTP for the shapes and every fieldValidation value.
#include <catch2/catch.hpp>

#include "tests/integration/kubectl/kubectl_support.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

std::string deployment(const std::string& name, const std::string& replicas_line) {
  return R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: )" +
         name + R"(
spec:
  )" + replicas_line +
         R"(
  selector:
    matchLabels:
      app: )" +
         name + R"(
  template:
    metadata:
      labels:
        app: )" +
         name + R"(
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: host/sh
        command: ["sh", "-c", "exec sleep 3600"]
)";
}

const char* kService = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
)";

size_t running_pods(const Daemon& d, const std::string& app) {
  json pods = d.get_json("pods");
  size_t n = 0;
  if (!pods.is_object()) return 0;
  for (const auto& p : pods.value("items", json::array())) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    if (p["metadata"].value("labels", json::object()).value("app", "") != app) continue;
    if (p.value("status", json::object()).value("phase", "") == "Running") ++n;
  }
  return n;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Setup {
  fs::path dir;
  Daemon daemon;
  explicit Setup(const std::string& tag, uint16_t port)
      : dir(make_dir(tag)), daemon(options(port)) {
    daemon.start();
    REQUIRE(eventually(
        [&] { return http_request(daemon.server(), "GET", "/healthz").status == 200; }, 60000ms));
  }
  ~Setup() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  static fs::path make_dir(const std::string& tag) {
    fs::path d = fs::temp_directory_path() /
                 ("skiff-kubectl-openapi-" + tag + "-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }
  static Daemon::Options options(uint16_t port) {
    Daemon::Options o;
    o.api_port = port;
    o.node_address = "127.37.0.1";
    o.pod_cidr = "127.37.1.0/24";
    o.service_cidr = "127.37.2.0/24";
    return o;
  }
};

}  // namespace

TEST_CASE("kubectl apply and create validate through the server without --validate=false",
          "[kubectl][openapi]") {
  if (kubectl_missing()) return;
  Setup s("kubectl", 28520);
  Daemon& d = s.daemon;
  INFO(d.log());
  const fs::path home = s.dir / "home";
  auto kubectl = [&](const std::string& args) {
    auto r = run_kubectl(d.server(), args, home);
    UNSCOPED_INFO("kubectl " << args << " -> " << r.exit_code << "\n" << r.out << r.err);
    return r;
  };

  // The seed-like app applies with kubectl's default validation (Strict, by the server).
  std::ofstream(s.dir / "app.yaml") << deployment("web", "replicas: 2") << "---\n" << kService;
  auto r = kubectl("apply -f " + (s.dir / "app.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "deployment.apps/web created"));
  CHECK(contains(r.out, "service/web created"));
  CHECK_FALSE(contains(r.err, "openapi"));
  CHECK(eventually([&] { return running_pods(d, "web") == 2; }, 60000ms));
  // A changed manifest applies too (a strategic merge patch, validated Strict).
  std::ofstream(s.dir / "app.yaml") << deployment("web", "replicas: 1") << "---\n" << kService;
  r = kubectl("apply -f " + (s.dir / "app.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "deployment.apps/web configured"));
  CHECK(contains(r.out, "service/web unchanged"));
  CHECK(eventually([&] { return running_pods(d, "web") == 1; }, 60000ms));

  // A typo'd field: the server's strict decoding error, and nothing created.
  std::ofstream(s.dir / "typo.yaml") << deployment("typo", "replica: 2");
  r = kubectl("apply -f " + (s.dir / "typo.yaml").string());
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "strict decoding error: unknown field \"spec.replica\""));
  CHECK(
      http_request(d.server(), "GET", "/apis/apps/v1/namespaces/default/deployments/typo").status ==
      404);
  r = kubectl("create -f " + (s.dir / "typo.yaml").string());
  CHECK(r.exit_code != 0);
  CHECK(contains(r.err, "strict decoding error: unknown field \"spec.replica\""));
  CHECK(
      http_request(d.server(), "GET", "/apis/apps/v1/namespaces/default/deployments/typo").status ==
      404);

  // --validate=warn: applied, and kubectl prints the server's warning.
  r = kubectl("apply --validate=warn -f " + (s.dir / "typo.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "deployment.apps/typo created"));
  CHECK(contains(r.err, "Warning: unknown field \"spec.replica\""));
  CHECK(eventually([&] { return running_pods(d, "typo") == 1; }, 60000ms));

  // --validate=false: applied silently (Ignore).
  std::ofstream(s.dir / "quiet.yaml") << deployment("quiet", "replica: 2");
  r = kubectl("apply --validate=false -f " + (s.dir / "quiet.yaml").string());
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "deployment.apps/quiet created"));
  CHECK_FALSE(contains(r.err, "unknown field"));
  CHECK(d.stop() == 0);
}

TEST_CASE("the openapi v3 documents and fieldValidation over raw HTTP", "[kubectl][openapi]") {
  Setup s("http", 28521);
  Daemon& d = s.daemon;
  INFO(d.log());
  const std::string server = d.server();

  auto index = http_request(server, "GET", "/openapi/v3");
  REQUIRE(index.status == 200);
  json paths = json::parse(index.body)["paths"];
  REQUIRE(paths.contains("api/v1"));
  REQUIRE(paths.contains("apis/apps/v1"));
  auto doc = http_request(server, "GET", paths["apis/apps/v1"]["serverRelativeURL"]);
  REQUIRE(doc.status == 200);
  json spec = json::parse(doc.body);
  const json& patch =
      spec["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
  CHECK(patch["x-kubernetes-group-version-kind"] ==
        json{{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}});
  bool field_validation = false;
  for (const auto& p : patch["parameters"]) {
    field_validation |= p["name"] == "fieldValidation" && p["in"] == "query";
  }
  CHECK(field_validation);
  CHECK(http_request(server, "GET", "/openapi/v3/api/v1").status == 200);
  CHECK(http_request(server, "GET", "/openapi/v3/apis/batch/v1").status == 404);
  CHECK(http_request(server, "POST", "/openapi/v3", "application/json", "{}").status == 405);

  const std::string collection = "/api/v1/namespaces/default/configmaps";
  auto body = [](const std::string& name, const std::string& extra) {
    return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
           R"("},"data":{"k":"v"})" + extra + "}";
  };
  const std::string typo = R"(,"dta":{"x":"y"})";

  // POST
  auto r = http_request(server, "POST", collection + "?fieldValidation=Strict", "application/json",
                        body("strict", typo));
  CHECK(r.status == 400);
  CHECK(json::parse(r.body)["reason"] == "BadRequest");
  CHECK(json::parse(r.body)["message"] ==
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
        "unknown field \"dta\"");
  CHECK(http_request(server, "GET", collection + "/strict").status == 404);
  r = http_request(server, "POST", collection + "?fieldValidation=Warn", "application/json",
                   body("warn", typo));
  CHECK(r.status == 201);
  CHECK(contains(r.headers, "Warning: 299 - \"unknown field \\\"dta\\\"\""));
  r = http_request(server, "POST", collection, "application/json", body("plain", typo));
  CHECK(r.status == 201);  // absent: Warn
  CHECK(contains(r.headers, "unknown field"));
  r = http_request(server, "POST", collection + "?fieldValidation=Ignore", "application/json",
                   body("ignore", typo));
  CHECK(r.status == 201);
  CHECK_FALSE(contains(r.headers, "unknown field"));
  CHECK_FALSE(contains(r.body, "dta"));
  r = http_request(server, "POST", collection + "?fieldValidation=bogus", "application/json",
                   body("bogus", ""));
  CHECK(r.status == 422);
  CHECK(contains(json::parse(r.body)["message"].get<std::string>(),
                 "fieldValidation: Unsupported value: \"bogus\""));
  CHECK(http_request(server, "GET", collection + "/bogus").status == 404);

  // Duplicate keys: Strict refuses, Warn names them.
  const std::string dupe = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dupe"},)"
                           R"("data":{"k":"v","k":"w"}})";
  r = http_request(server, "POST", collection + "?fieldValidation=Strict", "application/json",
                   dupe);
  CHECK(r.status == 400);
  CHECK(contains(r.body, "strict decoding error: duplicate field \\\"k\\\""));
  CHECK(http_request(server, "GET", collection + "/dupe").status == 404);
  r = http_request(server, "POST", collection + "?fieldValidation=Warn", "application/json", dupe);
  CHECK(r.status == 201);
  CHECK(contains(r.headers, "Warning: 299 - \"duplicate field \\\"k\\\"\""));

  // PUT
  const std::string item = collection + "/ignore";
  r = http_request(server, "PUT", item + "?fieldValidation=Strict", "application/json",
                   body("ignore", typo));
  CHECK(r.status == 400);
  CHECK(contains(r.body, "strict decoding error: unknown field \\\"dta\\\""));
  r = http_request(server, "PUT", item + "?fieldValidation=Warn", "application/json",
                   body("ignore", typo));
  CHECK(r.status == 200);
  CHECK(contains(r.headers, "unknown field"));
  r = http_request(server, "PUT", item + "?fieldValidation=Ignore", "application/json",
                   body("ignore", typo));
  CHECK(r.status == 200);
  CHECK_FALSE(contains(r.headers, "unknown field"));
  r = http_request(server, "PUT", item + "?fieldValidation=", "application/json",
                   body("ignore", ""));
  CHECK(r.status == 200);
  r = http_request(server, "PUT", item + "?fieldValidation=WARN", "application/json",
                   body("ignore", ""));
  CHECK(r.status == 422);
  CHECK(contains(r.body, "UpdateOptions.meta.k8s.io"));

  // PATCH (merge patch); a refused patch leaves the object as it was.
  const std::string patch_typo = R"({"data":{"k":"changed"},"dta":{"x":"y"}})";
  r = http_request(server, "PATCH", item + "?fieldValidation=Strict",
                   "application/merge-patch+json", patch_typo);
  CHECK(r.status == 400);
  CHECK(contains(r.body, "strict decoding error: unknown field \\\"dta\\\""));
  CHECK(json::parse(http_request(server, "GET", item).body)["data"]["k"] == "v");
  r = http_request(server, "PATCH", item + "?fieldValidation=Warn", "application/merge-patch+json",
                   patch_typo);
  CHECK(r.status == 200);
  CHECK(contains(r.headers, "unknown field \\\"dta\\\""));
  CHECK(json::parse(r.body)["data"]["k"] == "changed");
  r = http_request(server, "PATCH", item + "?fieldValidation=Ignore",
                   "application/merge-patch+json", R"({"data":{"k":"again"},"dta":1})");
  CHECK(r.status == 200);
  CHECK_FALSE(contains(r.headers, "unknown field"));
  CHECK(json::parse(r.body)["data"]["k"] == "again");
  r = http_request(server, "PATCH", item + "?fieldValidation=Strict",
                   "application/merge-patch+json", R"({"data":{"k":"strict-ok"}})");
  CHECK(r.status == 200);
  CHECK_FALSE(contains(r.headers, "Warning"));
  r = http_request(server, "PATCH", item + "?fieldValidation=Strict",
                   "application/merge-patch+json", R"({"data":{"k":"a","k":"b"}})");
  CHECK(r.status == 400);
  CHECK(contains(r.body, "duplicate field \\\"k\\\""));
  r = http_request(server, "PATCH", item + "?fieldValidation=x", "application/merge-patch+json",
                   R"({"data":{"k":"no"}})");
  CHECK(r.status == 422);
  CHECK(contains(r.body, "PatchOptions.meta.k8s.io"));
  CHECK(json::parse(http_request(server, "GET", item).body)["data"]["k"] == "strict-ok");
  CHECK(d.stop() == 0);
}
