// The docker engine against a dockerd that misbehaves (tests/integration/docker/
// fake_dockerd.py on a socket of the test's own): one that never answers gives a clear error
// at start, not a hang; one that answers with what is not JSON, or JSON of the wrong shape,
// fails those calls with a message and never takes the daemon down. No real dockerd needed.
#include <catch2/catch.hpp>
#include <cstdio>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;

namespace {

// fake_dockerd.py on `socket` in `mode`, until destroyed (closing its stdin ends it).
class FakeDockerd {
 public:
  FakeDockerd(const fs::path& socket, const std::string& mode) : socket_(socket) {
    const std::string command =
        "exec timeout -s KILL 600 python3 " +
        (source_dir() / "tests/integration/docker/fake_dockerd.py").string() + " " +
        socket.string() + " " + mode + " >/dev/null 2>&1";
    pipe_ = ::popen(command.c_str(), "w");
    ready_ = pipe_ && eventually([&] { return fs::exists(socket_); }, 10000ms);
  }
  ~FakeDockerd() {
    if (pipe_) ::pclose(pipe_);
  }
  FakeDockerd(const FakeDockerd&) = delete;
  FakeDockerd& operator=(const FakeDockerd&) = delete;

  bool ready() const { return ready_; }
  std::string docker_host() const { return "unix://" + socket_.string(); }

 private:
  fs::path socket_;
  FILE* pipe_ = nullptr;
  bool ready_ = false;
};

// Test n (0..9): API port 25050+n, node 127.0.0.(140+n); loopback Services, so no route.
Daemon::Options bad_engine_options(int n) {
  Daemon::Options o;
  o.api_port = static_cast<uint16_t>(25050 + n);
  o.node_address = "127.0.0." + std::to_string(140 + n);
  o.pod_cidr = "127.246." + std::to_string(140 + n) + ".0/24";
  o.service_cidr = "127.100." + std::to_string(140 + n) + ".0/24";
  return o;
}

// Starts `d` on the docker engine with DOCKER_HOST pointing at `fake`.
void start_on(Daemon& d, const FakeDockerd& fake) {
  ::setenv("DOCKER_HOST", fake.docker_host().c_str(), 1);
  d.start({"--engine", "docker"});
  ::unsetenv("DOCKER_HOST");
}

}  // namespace

TEST_CASE("docker engine: a dockerd that never answers gives a clear error at start, no hang") {
  Daemon d(bad_engine_options(0));
  FakeDockerd fake(d.state_dir() / "silent.sock", "silent");
  REQUIRE(fake.ready());
  const auto started = std::chrono::steady_clock::now();
  start_on(d, fake);
  REQUIRE(eventually([&] { return d.log().find("is dockerd running?") != std::string::npos; },
                     30000ms));
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  INFO(d.log());
  CHECK(d.log().find("--engine docker: docker engine at " + fake.docker_host()) !=
        std::string::npos);
  CHECK(d.log().find("did not answer within") != std::string::npos);
  CHECK(d.stop() == 1);
}

TEST_CASE("docker engine: a dockerd answering with what is not JSON is refused at start") {
  Daemon d(bad_engine_options(1));
  FakeDockerd fake(d.state_dir() / "garbage.sock", "garbage");
  REQUIRE(fake.ready());
  start_on(d, fake);
  REQUIRE(eventually(
      [&] { return d.log().find("/version did not say its ApiVersion") != std::string::npos; },
      30000ms));
  INFO(d.log());
  CHECK(d.stop() == 1);
}

TEST_CASE("docker engine: JSON of the wrong shape fails those calls, the daemon carries on") {
  auto o = bad_engine_options(2);
  o.files = {(source_dir() / "tests/integration/docker/never-pull.yaml").string()};
  Daemon d(o);
  FakeDockerd fake(d.state_dir() / "odd.sock", "odd");
  REQUIRE(fake.ready());
  start_on(d, fake);
  // The image inspection's malformed reply becomes the pod's ImageInspectError, with why.
  REQUIRE(eventually(
      [&] {
        auto p = d.get_json("pod never-pulled");
        return p.is_object() &&
               p["status"].value("containerStatuses", nlohmann::json::array()).size() == 1 &&
               p["status"]["containerStatuses"][0]["state"]["waiting"].value("reason", "") ==
                   "ImageInspectError";
      },
      60000ms));
  INFO(d.log());
  auto pod = d.get_json("pod never-pulled");
  const std::string message =
      pod["status"]["containerStatuses"][0]["state"]["waiting"].value("message", "");
  CHECK(message.find("unexpected reply to image inspect") != std::string::npos);
  // Malformed event lines and a container list that is not a list are logged, not fatal.
  CHECK(eventually([&] { return d.log().find("unexpected reply to events") != std::string::npos; },
                   10000ms));
  CHECK(eventually(
      [&] { return d.log().find("unexpected reply to container list") != std::string::npos; },
      10000ms));
  CHECK(d.skiff("get pods").exit_code == 0);
  CHECK(d.stop() == 0);
}
