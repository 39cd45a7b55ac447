// Server-side printing with the real kubectl against a real daemon and process-engine pods:
// `kubectl get` shows the API server's columns because skiff answers its Accept for a
// meta.k8s.io Table; -o wide, --show-labels, -L, -o name and -o json; and the Table JSON and
// the 406 as raw HTTP shows them.
#include <catch2/catch.hpp>
#include <regex>

#include "tests/integration/kubectl/kubectl_support.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

constexpr const char* kManifest = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        tier: front
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: host/sh
        command: ["sh", "-c", "exec sleep 3600"]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  a: "1"
  b: "2"
)";

const std::string kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
    "g=meta.k8s.io,application/json";

// A GET with an Accept header, bounded by curl's --max-time.
HttpResult get_with_accept(const std::string& server, const std::string& path,
                           const std::string& accept) {
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-table-http-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string command = "curl -sS -o " + shell_quote((dir / "response").string()) +
                              " -w '%{http_code}' --max-time 20 -H " +
                              shell_quote("Accept: " + accept) + " " +
                              shell_quote("http://" + server + path);
  auto r = run(command, std::chrono::seconds(30));
  HttpResult out;
  out.status = std::atoi(r.output.c_str());
  out.body = read_file(dir / "response");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  for (const auto& line : lines_of(text)) {
    if (std::regex_search(line, re)) return true;
  }
  return false;
}

std::vector<std::string> column_names(const json& table) {
  std::vector<std::string> out;
  for (const auto& c : table["columnDefinitions"]) out.push_back(c.value("name", ""));
  return out;
}

}  // namespace

TEST_CASE("kubectl get shows the server's table columns for pods and workloads",
          "[kubectl][table]") {
  if (kubectl_missing()) return;
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-kubectl-table-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path manifest = dir / "web.yaml";
  { std::ofstream(manifest) << kManifest; }
  Daemon::Options o;
  o.files = {manifest.string()};
  o.api_port = 28510;
  o.node_address = "127.36.0.1";
  o.pod_cidr = "127.36.1.0/24";
  o.service_cidr = "127.36.2.0/24";
  Daemon d(o);
  d.start();
  REQUIRE(d.wait_ready());
  INFO(d.log());
  const fs::path home = dir / "home";
  auto kubectl = [&](const std::string& args) {
    auto r = run_kubectl(d.server(), args, home);
    UNSCOPED_INFO("kubectl " << args << " -> " << r.exit_code << "\n" << r.out << r.err);
    return r;
  };

  // Both pods running and ready, as kubectl prints them.
  KubectlResult pods;
  REQUIRE(eventually(
      [&] {
        pods = kubectl("get pods");
        size_t running = 0;
        for (const auto& line : lines_of(pods.out)) {
          if (std::regex_search(line, std::regex(R"(^web-\S+\s+1/1\s+Running\s+0\s+\d+s\s*$)"))) {
            ++running;
          }
        }
        return pods.exit_code == 0 && running == 2;
      },
      60000ms));
  REQUIRE(!lines_of(pods.out).empty());
  CHECK(std::regex_match(lines_of(pods.out)[0],
                         std::regex(R"(NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s*)")));

  // -o wide: the priority-1 columns, with each pod's IP and node.
  json list = d.get_json("pods");
  REQUIRE(list.is_object());
  REQUIRE(list["items"].size() == 2);
  auto wide = kubectl("get pods -o wide");
  REQUIRE(wide.exit_code == 0);
  CHECK(std::regex_match(
      lines_of(wide.out)[0],
      std::regex(
          R"(NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\s*)")));
  for (const auto& p : list["items"]) {
    const std::string name = p["metadata"]["name"];
    const std::string ip = p["status"].value("podIP", "");
    const std::string node = p["spec"].value("nodeName", "");
    CHECK(ip.rfind("127.36.1.", 0) == 0);
    CHECK(has_line(wide.out, "^" + name + R"(\s+1/1\s+Running\s+0\s+\S+\s+)" +
                                 std::regex_replace(ip, std::regex(R"(\.)"), R"(\.)") + R"(\s+)" +
                                 node + R"(\s+<none>\s+<none>\s*$)"));
  }

  // Several kinds at once, each with its own columns.
  auto all = kubectl("get deploy,svc,rs,ep");
  REQUIRE(all.exit_code == 0);
  CHECK(has_line(all.out, R"(^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s*$)"));
  CHECK(has_line(all.out, R"(^deployment\.apps/web\s+2/2\s+2\s+2\s+\S+\s*$)"));
  CHECK(has_line(all.out, R"(^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s*$)"));
  CHECK(has_line(all.out, R"(^service/web\s+ClusterIP\s+127\.36\.2\.\d+\s+<none>\s+80/TCP\s+)"));
  CHECK(has_line(all.out, R"(^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s*$)"));
  CHECK(has_line(all.out, R"(^replicaset\.apps/web-\S+\s+2\s+2\s+2\s+\S+\s*$)"));
  CHECK(has_line(all.out, R"(^NAME\s+ENDPOINTS\s+AGE\s*$)"));
  CHECK(
      has_line(all.out, R"(^endpoints/web\s+127\.36\.1\.\d+:8080,127\.36\.1\.\d+:8080\s+\S+\s*$)"));

  auto deploy_wide = kubectl("get deploy -o wide");
  CHECK(has_line(
      deploy_wide.out,
      R"(^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\s*$)"));
  CHECK(has_line(deploy_wide.out, R"(^web\s+2/2\s+2\s+2\s+\S+\s+main\s+host/sh\s+app=web\s*$)"));

  auto cm = kubectl("get configmap cfg");
  CHECK(has_line(cm.out, R"(^NAME\s+DATA\s+AGE\s*$)"));
  CHECK(has_line(cm.out, R"(^cfg\s+2\s+\S+\s*$)"));

  auto nodes = kubectl("get nodes -o wide");
  CHECK(has_line(nodes.out, R"(^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+)"));
  CHECK(has_line(nodes.out, R"(\s+Ready\s+.*\s127\.36\.0\.1\s)"));

  // Labels come from the rows' PartialObjectMetadata.
  auto labels = kubectl("get pods --show-labels");
  CHECK(has_line(labels.out, R"(^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS\s*$)"));
  CHECK(has_line(labels.out, R"(^web-\S+\s+1/1\s+Running\s+0\s+\S+\s+\S*app=web\S*\s*$)"));
  auto label_columns = kubectl("get pods -L app -L tier");
  CHECK(has_line(label_columns.out, R"(^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+APP\s+TIER\s*$)"));
  CHECK(has_line(label_columns.out, R"(^web-\S+\s+1/1\s+Running\s+0\s+\S+\s+web\s+front\s*$)"));

  // -o name and -o json ask for plain objects, as before.
  auto names = kubectl("get pods -o name");
  REQUIRE(names.exit_code == 0);
  auto name_lines = lines_of(names.out);
  CHECK(name_lines.size() == 2);
  for (const auto& l : name_lines) CHECK(l.rfind("pod/web-", 0) == 0);
  auto as_json = kubectl("get pods -o json");
  REQUIRE(as_json.exit_code == 0);
  json parsed = json::parse(as_json.out, nullptr, false);
  REQUIRE(parsed.is_object());
  REQUIRE(parsed["items"].size() == 2);
  CHECK(parsed["items"][0]["kind"] == "Pod");
  CHECK(parsed["items"][0]["spec"]["containers"][0]["image"] == "host/sh");

  // kubectl get -w: the watch events are one-row Tables, printed in the same columns under the
  // one header. A pod is deleted while kubectl watches (its list and watch start well within
  // two seconds; the replacement pod's events follow the deletion over about a second).
  const std::string victim = name_lines[0].substr(4);
  auto watched = run(
      "env HOME=" + shell_quote(home.string()) + " sh -c " +
          shell_quote("(sleep 2; kubectl --server http://" + d.server() + " delete pod " + victim +
                      " --wait=false >/dev/null 2>&1) & timeout 8 kubectl "
                      "--server http://" +
                      d.server() + " get pods -w; wait"),
      std::chrono::seconds(30));
  UNSCOPED_INFO("kubectl get pods -w ->\n" << watched.output);
  CHECK(has_line(watched.output, "^" + victim + R"(\s+\d/1\s+Terminating\s+0\s+\S+\s*$)"));
  CHECK(has_line(watched.output, R"(^web-\S+\s+0/1\s+(Pending|ContainerCreating)\s+0\s+\S+\s*$)"));
  CHECK_FALSE(has_line(watched.output, R"(^NAME\s+AGE\s*$)"));
  CHECK(lines_of(watched.output).size() >= 4);

  d.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("a GET that accepts a Table gets one, and one it cannot serve gets 406",
          "[kubectl][table]") {
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-table-raw-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path manifest = dir / "web.yaml";
  { std::ofstream(manifest) << kManifest; }
  Daemon::Options o;
  o.files = {manifest.string()};
  o.api_port = 28511;
  o.node_address = "127.36.0.2";
  o.pod_cidr = "127.36.1.64/26";
  o.service_cidr = "127.36.2.64/26";
  Daemon d(o);
  d.start();
  REQUIRE(d.wait_ready());
  INFO(d.log());
  const std::string pods_path = "/api/v1/namespaces/default/pods";

  // Pods as kubectl asks for them: a meta.k8s.io/v1 Table, rows with PartialObjectMetadata.
  json table;
  REQUIRE(eventually(
      [&] {
        auto r = get_with_accept(d.server(), pods_path, kTableAccept);
        table = json::parse(r.body, nullptr, false);
        if (r.status != 200 || !table.is_object() || table["rows"].size() != 2) return false;
        for (const auto& row : table["rows"]) {
          if (row["cells"][2] != "Running" || row["cells"][1] != "1/1") return false;
        }
        return true;
      },
      60000ms));
  UNSCOPED_INFO(table.dump(2));
  CHECK(table["kind"] == "Table");
  CHECK(table["apiVersion"] == "meta.k8s.io/v1");
  CHECK(table["metadata"]["resourceVersion"].is_string());
  CHECK(column_names(table) == std::vector<std::string>{"Name", "Ready", "Status", "Restarts",
                                                        "Age", "IP", "Node", "Nominated Node",
                                                        "Readiness Gates"});
  CHECK(table["columnDefinitions"][0]["format"] == "name");
  CHECK(table["columnDefinitions"][4]["priority"] == 0);
  CHECK(table["columnDefinitions"][5]["priority"] == 1);
  for (const auto& row : table["rows"]) {
    CHECK(row["cells"].size() == 9);
    CHECK(row["cells"][3] == "0");
    CHECK(row["object"]["kind"] == "PartialObjectMetadata");
    CHECK(row["object"]["apiVersion"] == "meta.k8s.io/v1");
    CHECK(row["object"]["metadata"]["labels"]["app"] == "web");
    CHECK(row["object"]["metadata"]["name"] == row["cells"][0]);
    CHECK_FALSE(row["object"].contains("spec"));
  }

  // includeObject=None and Object; v1beta1 when only that is accepted.
  auto none =
      json::parse(get_with_accept(d.server(), pods_path + "?includeObject=None", kTableAccept).body,
                  nullptr, false);
  REQUIRE(none.is_object());
  CHECK_FALSE(none["rows"][0].contains("object"));
  auto full = json::parse(get_with_accept(d.server(), pods_path + "?includeObject=Object",
                                          "application/json;as=Table;v=v1beta1;g=meta.k8s.io")
                              .body,
                          nullptr, false);
  REQUIRE(full.is_object());
  CHECK(full["apiVersion"] == "meta.k8s.io/v1beta1");
  CHECK(full["rows"][0]["object"]["kind"] == "Pod");
  CHECK(full["rows"][0]["object"]["spec"]["containers"][0]["image"] == "host/sh");
  auto bad = get_with_accept(d.server(), pods_path + "?includeObject=All", kTableAccept);
  CHECK(bad.status == 400);

  // One object: a Table of one row. Integer cells are JSON numbers.
  auto rs_list = d.get_json("replicasets");
  REQUIRE(rs_list.is_object());
  REQUIRE(rs_list["items"].size() == 1);
  const std::string rs_name = rs_list["items"][0]["metadata"]["name"];
  REQUIRE(eventually(
      [&] {
        auto r = get_with_accept(
            d.server(), "/apis/apps/v1/namespaces/default/replicasets/" + rs_name, kTableAccept);
        auto one = json::parse(r.body, nullptr, false);
        if (r.status != 200 || !one.is_object() || one["rows"].size() != 1) return false;
        const json& cells = one["rows"][0]["cells"];
        UNSCOPED_INFO(one.dump());
        return cells.size() == 8 && cells[0] == rs_name && cells[1] == 2 && cells[2] == 2 &&
               cells[3] == 2 && cells[5] == "main" && cells[6] == "host/sh" &&
               cells[7].get<std::string>().find("app=web") != std::string::npos &&
               column_names(one)[1] == "Desired" &&
               one["columnDefinitions"][1]["type"] == "integer" &&
               std::regex_match(one["metadata"].value("resourceVersion", ""),
                                std::regex("[1-9][0-9]*"));
      },
      30000ms));

  // Plain JSON when the Table is not asked for, or ranks below JSON.
  auto plain = get_with_accept(d.server(), pods_path, "application/json");
  CHECK(plain.status == 200);
  CHECK(json::parse(plain.body, nullptr, false).value("kind", "") == "PodList");
  auto ranked =
      get_with_accept(d.server(), pods_path,
                      "application/json;as=Table;v=v1;g=meta.k8s.io;q=0.5,application/json;q=0.9");
  CHECK(json::parse(ranked.body, nullptr, false).value("kind", "") == "PodList");

  // A watch asking for a Table: every event's object is a Table of one row.
  auto watch = run("curl -sS -N --max-time 2 -H " + shell_quote("Accept: " + kTableAccept) + " " +
                       shell_quote("http://" + d.server() + pods_path + "?watch=true"),
                   std::chrono::seconds(10));
  auto events = lines_of(watch.output);
  size_t table_events = 0;
  for (const auto& line : events) {
    auto event = json::parse(line, nullptr, false);
    if (!event.is_object()) continue;
    CHECK(event["type"] == "ADDED");
    CHECK(event["object"]["kind"] == "Table");
    CHECK(event["object"]["rows"].size() == 1);
    CHECK(event["object"]["rows"][0]["cells"][2] == "Running");
    CHECK(event["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata");
    ++table_events;
  }
  CHECK(table_events == 2);

  // Nothing skiff can serve: 406 NotAcceptable, as the API server answers.
  auto proto = get_with_accept(d.server(), pods_path, "application/vnd.kubernetes.protobuf");
  CHECK(proto.status == 406);
  auto status = json::parse(proto.body, nullptr, false);
  REQUIRE(status.is_object());
  CHECK(status["kind"] == "Status");
  CHECK(status["reason"] == "NotAcceptable");
  CHECK(status["code"] == 406);

  d.stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
}
