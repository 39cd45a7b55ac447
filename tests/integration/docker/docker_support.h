// What the docker engine's integration tests share: whether dockerd answers (they skip
// visibly when it does not), the locally built images, and looks at containers through the
// docker CLI, as a user would.
#pragma once

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "tests/integration/seed/harness.h"

namespace skiff::test {

inline bool docker_answers() {
  return run("curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://docker/_ping", 10s)
             .output == "OK";
}

// make_images.sh once per test process (it is idempotent and quick when nothing changed).
inline CommandResult make_test_images() {
  static CommandResult r =
      run("bash " + (source_dir() / "tests/integration/docker/make_images.sh").string(), 600s);
  return r;
}

// `skiff build --engine docker -t tag dir`.
inline CommandResult docker_build(const std::string& tag, const fs::path& dir) {
  return run(skiff_binary() + " build --engine docker -t " + tag + " " + dir.string(), 600s);
}

// The ids of the running containers of a pod (not its sandbox), by skiff's labels.
inline std::vector<std::string> pod_containers(const std::string& pod_uid, bool all = false) {
  auto r = run(std::string("docker ps -q --no-trunc") + (all ? " -a" : "") +
               " --filter label=io.skiff.pod.uid=" + pod_uid +
               " --filter label=io.skiff.role=container");
  std::vector<std::string> ids;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ids.push_back(line);
  }
  return ids;
}

}  // namespace skiff::test

// Skips the test case, visibly, when no dockerd answers on /var/run/docker.sock, unless
// SKIFF_REQUIRE_DOCKER is set (.ci/run sets it once its dockerd answers): then a dockerd that
// went away fails the test instead of passing it unseen. Else builds the test images (a failure
// there fails the test).
#define SKIFF_REQUIRE_DOCKER()                                          \
  do {                                                                  \
    if (!skiff::test::docker_answers()) {                               \
      if (std::getenv("SKIFF_REQUIRE_DOCKER") != nullptr) {             \
        FAIL(                                                           \
            "dockerd does not answer on /var/run/docker.sock, and "     \
            "SKIFF_REQUIRE_DOCKER is set");                             \
      }                                                                 \
      WARN("SKIPPED: dockerd does not answer on /var/run/docker.sock"); \
      return;                                                           \
    }                                                                   \
    auto images = skiff::test::make_test_images();                      \
    INFO(images.output);                                                \
    REQUIRE(images.exit_code == 0);                                     \
  } while (false)
