// DNS answers follow scaling, end to end: the real daemon runs a Deployment behind a headless
// Service, `skiff scale` changes its replicas, and dig sees the ready pods' addresses come and go.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>

#include "../seed/harness.h"
#include "dig.h"

using skiff::test::Daemon;
using skiff::test::eventually;

namespace {

constexpr const char* kManifest = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: sleeper}
spec:
  replicas: 1
  selector: {matchLabels: {app: sleeper}}
  template:
    metadata: {labels: {app: sleeper}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: host/sleep
        command: ["sleep", "600"]
---
apiVersion: v1
kind: Service
metadata: {name: sleeper}
spec:
  clusterIP: None
  selector: {app: sleeper}
  ports:
  - {name: http, port: 80, targetPort: 8080}
)";

// The A records dig gets for the headless name from the daemon's DNS (node address, port 5353).
std::set<std::string> addresses(const std::string& node) {
  const std::string out = skiff::test::run("dig @" + node + " -p 5353 +time=2 +tries=1 +short " +
                                           "sleeper.default.svc.cluster.local A")
                              .output;
  std::set<std::string> ips;
  const std::regex ip(R"((\d+\.\d+\.\d+\.\d+))");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), ip); it != std::sregex_iterator();
       ++it) {
    ips.insert((*it)[1]);
  }
  return ips;
}

}  // namespace

TEST_CASE("dig against the daemon: a headless Service's A records follow skiff scale") {
  Daemon::Options o;
  o.api_port = 18553;
  o.node_address = "127.0.0.153";
  o.pod_cidr = "127.246.153.0/24";
  const auto dir =
      skiff::test::fs::temp_directory_path() / ("skiff-dns-scale-" + std::to_string(::getpid()));
  skiff::test::fs::create_directories(dir);
  std::ofstream(dir / "sleeper.yaml") << kManifest;
  o.files = {(dir / "sleeper.yaml").string()};
  Daemon d(o);
  d.start();

  std::set<std::string> seen;
  const bool one = eventually(
      [&] {
        seen = addresses(o.node_address);
        return seen.size() == 1;
      },
      std::chrono::seconds(60));
  INFO(d.log());
  REQUIRE(one);
  CHECK(seen.begin()->rfind("127.246.153.", 0) == 0);  // a pod address, not a ClusterIP

  REQUIRE(d.skiff("scale deployment sleeper --replicas 3").exit_code == 0);
  CHECK(eventually(
      [&] {
        seen = addresses(o.node_address);
        return seen.size() == 3;
      },
      std::chrono::seconds(60)));

  REQUIRE(d.skiff("scale deployment sleeper --replicas 0").exit_code == 0);
  // No ready endpoint left: the headless name does not exist any more.
  CHECK(eventually(
      [&] {
        const std::string out =
            skiff::test::run("dig @" + o.node_address +
                             " -p 5353 +time=2 +tries=1 sleeper.default.svc.cluster.local A")
                .output;
        return skiff::test::status_of(out) == "NXDOMAIN";
      },
      std::chrono::seconds(60)));
  d.stop();
  std::error_code ignored;
  skiff::test::fs::remove_all(dir, ignored);
}
