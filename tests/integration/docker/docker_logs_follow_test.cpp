// `logs -f` through the docker engine: dockerd's own log stream, demuxed and relayed as the
// container writes. Needs a dockerd (skips visibly without one). NOTE for the lead: this case
// belongs in tests/integration/docker/ (a case there restarts dockerd, which would break this
// one when ctest runs the two folders side by side).
#include <catch2/catch.hpp>

#include "tests/integration/docker/docker_support.h"
#include "tests/integration/logs/log_client.h"

namespace {

using namespace skiff::test;

}  // namespace

TEST_CASE("docker engine: logs follow relays what the container writes until it exits",
          "[logs][docker]") {
  SKIFF_REQUIRE_DOCKER();
  const fs::path dir =
      fs::temp_directory_path() / ("skiff-logs-docker-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path manifest = dir / "pod.yaml";
  // stdout and stderr reach dockerd's log by separate copiers: the pause between the first two
  // lines keeps their order, which tailLines and limitBytes below depend on.
  std::ofstream(manifest) << R"(apiVersion: v1
kind: Pod
metadata:
  name: chatter
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: skiff-test/busybox:1
    imagePullPolicy: Never
    command: ["sh", "-c"]
    args:
    - 'echo early; sleep 0.3; echo to-stderr >&2; n=0; while [ ! -e /tmp/go ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; echo late; n=0; while [ ! -e /tmp/end ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done; echo last'
)";
  Daemon::Options o;
  o.files = {manifest.string()};
  o.api_port = 28410;
  o.node_address = "127.33.0.7";
  o.pod_cidr = "127.33.13.0/24";
  o.service_cidr = "127.33.14.0/24";
  Daemon d(o);
  d.start({"--engine", "docker"});
  const std::string path = "/api/v1/namespaces/default/pods/chatter/log";
  auto plain = [&](const std::string& query) {
    LogClient c(28410, path + query, "1.0");
    c.read_to_end(10s);
    return c.body();
  };
  REQUIRE(eventually([&] { return plain("").find("to-stderr") != std::string::npos; }, 120s));
  INFO(d.log());
  auto pod = d.get_json("pod chatter");
  REQUIRE(pod.is_object());
  const auto ids = pod_containers(pod["metadata"]["uid"]);
  REQUIRE(ids.size() == 1);

  LogClient follow(28410, path + "?follow=true&timestamps=true");
  REQUIRE(follow.read_until("to-stderr\n", 10s));
  CHECK(follow.head().find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(follow.received().find("late") == std::string::npos);
  CHECK(follow.received().find("Z early\n") != std::string::npos);  // dockerd's stamps
  REQUIRE(run("docker exec " + ids[0] + " touch /tmp/go").exit_code == 0);
  CHECK(follow.read_until("Z late\n", 10s));
  REQUIRE(run("docker exec " + ids[0] + " touch /tmp/end").exit_code == 0);
  CHECK(follow.read_to_end(20s));  // the container exited: the stream ended
  CHECK(follow.received().find("Z last\n") != std::string::npos);

  CHECK(plain("?tailLines=1") == "last\n");
  CHECK(plain("?limitBytes=3") == "ear");
  CHECK(d.stop() == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}
