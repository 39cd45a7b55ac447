// `GET .../pods/NAME/log` with follow, tailLines, sinceTime, timestamps and limitBytes against
// a real daemon (process engine), and `skiff logs -f`, as a user sees them. Every wait is
// bounded; the containers step forward only when the test creates their gate files, so what
// counts as "written after the request" is certain, not timed.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <regex>

#include "tests/integration/logs/log_client.h"
#include "tests/integration/seed/harness.h"

namespace {

using namespace skiff::test;

// Block "logs" of tests/integration/README-ports.md: API 28400-28419, addresses 127.33/16.
Daemon::Options options(uint16_t api_port, int n, const fs::path& manifest) {
  Daemon::Options o;
  o.files = {manifest.string()};
  o.api_port = api_port;
  o.node_address = "127.33.0." + std::to_string(n);
  o.pod_cidr = "127.33." + std::to_string(2 * n - 1) + ".0/24";
  o.service_cidr = "127.33." + std::to_string(2 * n) + ".0/24";
  return o;
}

// A folder for the gate files the containers wait on.
struct Gates {
  explicit Gates(const std::string& name)
      : dir(fs::temp_directory_path() / ("skiff-logs-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Gates() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void open(const std::string& gate) const { std::ofstream(dir / gate) << "1"; }
  // Shell that waits (bounded: 60 s) for the gate file.
  std::string wait(const std::string& gate) const {
    return "n=0; while [ ! -e " + (dir / gate).string() +
           " ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; ";
  }
  fs::path dir;
};

// A Pod (restartPolicy Never) running `script`, written next to the gates.
fs::path pod_manifest(const Gates& gates, const std::string& name, const std::string& script) {
  const fs::path path = gates.dir / (name + ".yaml");
  std::ofstream(path) << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " << name
                      << "\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n"
                         "  containers:\n  - name: main\n    image: host/sh\n"
                         "    command: [\"sh\", \"-c\"]\n    args:\n    - '"
                      << script << "'\n";
  return path;
}

std::string log_path(const std::string& pod) {
  return "/api/v1/namespaces/default/pods/" + pod + "/log";
}

// The log as a plain (HTTP/1.0, not chunked) GET returns it.
std::string get_log(uint16_t port, const std::string& pod, const std::string& query = "",
                    int* status = nullptr) {
  LogClient c(port, log_path(pod) + query, "1.0");
  c.read_to_end(10s);
  if (status) *status = c.status();
  return c.body();
}

// The daemon answers its API (`up` says "is ready at" only for Services; these have none).
bool api_up(uint16_t port) {
  return eventually(
      [&] {
        LogClient c(port, "/healthz", "1.0");
        return c.read_to_end(2s) && c.status() == 200;
      },
      60s);
}

bool log_has(uint16_t port, const std::string& pod, const std::string& text) {
  return eventually([&] { return get_log(port, pod).find(text) != std::string::npos; }, 30s);
}

}  // namespace

TEST_CASE("logs follow streams what the container writes after the request and ends with it",
          "[logs]") {
  Gates gates("follow");
  const auto manifest = pod_manifest(gates, "talker",
                                     "echo early-1; echo early-2; " + gates.wait("go") +
                                         "echo late-line; " + gates.wait("end") + "echo last-line");
  Daemon d(options(28400, 1, manifest));
  d.start();
  REQUIRE(api_up(28400));
  REQUIRE(log_has(28400, "talker", "early-2"));

  LogClient follow(28400, log_path("talker") + "?follow=true");
  REQUIRE(follow.sent());
  REQUIRE(follow.read_until("early-2\n", 10s));
  CHECK(follow.status() == 200);
  CHECK(follow.head().find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(follow.head().find("text/plain") != std::string::npos);
  CHECK(follow.received().find("late-line") == std::string::npos);

  gates.open("go");
  CHECK(follow.read_until("late-line\n", 10s));
  // Still open: the container runs on.
  CHECK_FALSE(follow.read_to_end(300ms));

  gates.open("end");
  REQUIRE(follow.read_to_end(15s));  // the run ended, so the stream did
  CHECK(follow.received().find("last-line\n") != std::string::npos);
  const auto& all = follow.received();
  CHECK(all.size() >= 5);
  CHECK(all.substr(all.size() - 5) == "0\r\n\r\n");  // a proper end of the chunked body

  // A follow of a run that has ended returns what it wrote and ends at once.
  LogClient after(28400, log_path("talker") + "?follow=true", "1.0");
  REQUIRE(after.read_to_end(5s));
  CHECK(after.body() == "early-1\nearly-2\nlate-line\nlast-line\n");
  CHECK(d.stop() == 0);
}

TEST_CASE("logs tailLines sinceTime timestamps and limitBytes select what kubectl would",
          "[logs]") {
  Gates gates("select");
  const auto manifest = pod_manifest(gates, "lines",
                                     "for i in 1 2 3 4 5; do echo l$i; done; "
                                     "printf unfinished; exec sleep 600");
  Daemon d(options(28401, 2, manifest));
  d.start();
  REQUIRE(api_up(28401));
  REQUIRE(log_has(28401, "lines", "unfinished"));
  const uint16_t port = 28401;

  CHECK(get_log(port, "lines") == "l1\nl2\nl3\nl4\nl5\nunfinished");
  // The unfinished last line counts as a line, as in the kubelet.
  CHECK(get_log(port, "lines", "?tailLines=2") == "l5\nunfinished");
  CHECK(get_log(port, "lines", "?tailLines=0").empty());
  CHECK(get_log(port, "lines", "?tailLines=100") == "l1\nl2\nl3\nl4\nl5\nunfinished");
  CHECK(get_log(port, "lines", "?limitBytes=4") == "l1\nl");
  CHECK(get_log(port, "lines", "?tailLines=3&limitBytes=6") == "l4\nl5\n");

  const std::string stamped = get_log(port, "lines", "?timestamps=true&tailLines=3");
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (l4|l5|unfinished))");
  std::vector<std::string> lines;
  std::stringstream ss(stamped);
  for (std::string l; std::getline(ss, l);) lines.push_back(l);
  REQUIRE(lines.size() == 3);
  for (const auto& l : lines) CHECK(std::regex_match(l, line));
  CHECK(lines[2].ends_with(" unfinished"));

  CHECK(get_log(port, "lines", "?sinceTime=2000-01-01T00:00:00Z") ==
        "l1\nl2\nl3\nl4\nl5\nunfinished");
  CHECK(get_log(port, "lines", "?sinceTime=2200-01-01T00:00:00Z").empty());
  CHECK(get_log(port, "lines", "?sinceSeconds=3600&tailLines=1") == "unfinished");

  // The same through the CLI.
  auto tail = d.skiff("logs lines --tail 2");
  CHECK(tail.exit_code == 0);
  CHECK(tail.output == "l5\nunfinished");
  auto limited = d.skiff("logs pod/lines --limit-bytes 3");
  CHECK(limited.output == "l1\n");
  CHECK(d.stop() == 0);
}

TEST_CASE("bad log parameters get the API server's errors and the daemon keeps serving", "[logs]") {
  Gates gates("bad");
  const auto manifest = pod_manifest(gates, "quiet", "echo hello; exec sleep 600");
  Daemon d(options(28402, 3, manifest));
  d.start();
  REQUIRE(api_up(28402));
  REQUIRE(log_has(28402, "quiet", "hello"));

  struct Case {
    std::string query;
    int status;
    std::string message;
  };
  const std::vector<Case> cases{
      {"?follow=maybe", 400, "follow: invalid value \\\"maybe\\\": expected true or false"},
      {"?tailLines=ten", 400, "tailLines: invalid value \\\"ten\\\": expected an integer"},
      {"?limitBytes=1e3", 400, "limitBytes: invalid value"},
      {"?sinceTime=yesterday", 400, "sinceTime: invalid value \\\"yesterday\\\""},
      {"?sinceTime=2999-01-01T00:00:00Z", 400, "sinceTime: invalid value"},
      {"?tailLines=-1", 422,
       "PodLogOptions \\\"quiet\\\" is invalid: tailLines: Invalid value: -1: must be greater "
       "than or equal to 0"},
      {"?limitBytes=0", 422, "limitBytes: Invalid value: 0: must be greater than 0"},
      {"?sinceSeconds=0", 422, "sinceSeconds: Invalid value: 0: must be greater than 0"},
      {"?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z", 422,
       "at most one of `sinceTime` or `sinceSeconds` may be specified"},
      {"?container=nope", 400, "container nope is not valid for pod quiet"},
  };
  for (const auto& c : cases) {
    INFO(c.query);
    int status = 0;
    const std::string body = get_log(28402, "quiet", c.query, &status);
    CHECK(status == c.status);
    CHECK(body.find(c.message) != std::string::npos);
    CHECK(body.find("\"kind\":\"Status\"") != std::string::npos);
  }
  int status = 0;
  get_log(28402, "missing", "?follow=true", &status);
  CHECK(status == 404);
  // Still serving, logs included.
  CHECK(get_log(28402, "quiet", "?follow=false") == "hello\n");
  auto cli = d.skiff("logs quiet --tail=-1");
  CHECK(cli.output == "hello\n");
  auto bad_since = d.skiff("logs quiet --since 5parsecs");
  CHECK(bad_since.exit_code != 0);
  CHECK(d.stop() == 0);
}

TEST_CASE("a client that leaves mid-follow frees its stream", "[logs]") {
  Gates gates("leave");
  const auto manifest = pod_manifest(gates, "steady", "echo up; exec sleep 600");
  Daemon d(options(28403, 4, manifest));
  d.start();
  REQUIRE(api_up(28403));
  REQUIRE(log_has(28403, "steady", "up"));
  const int pid = daemon_pid(d.state_dir());
  REQUIRE(pid > 0);
  // Settled: a finished request leaves nothing open.
  REQUIRE(eventually(
      [&] {
        const size_t a = fd_count(pid);
        std::this_thread::sleep_for(200ms);
        return fd_count(pid) == a;
      },
      10s));
  const size_t before = fd_count(pid);

  for (int round = 0; round < 3; ++round) {
    auto follow = std::make_unique<LogClient>(28403, log_path("steady") + "?follow=true");
    REQUIRE(follow->read_until("up\n", 10s));
    // The socket, the log file and the inotify descriptor.
    CHECK(fd_count(pid) >= before + 3);
    follow.reset();  // the client goes away
    CHECK(eventually([&] { return fd_count(pid) == before; }, 10s));
  }
  CHECK(d.stop() == 0);
}

TEST_CASE("Ctrl-C of the daemon with a follow open exits promptly", "[logs]") {
  Gates gates("stop");
  const auto manifest = pod_manifest(gates, "forever", "echo running; exec sleep 600");
  Daemon d(options(28404, 5, manifest));
  d.start();
  REQUIRE(api_up(28404));
  REQUIRE(log_has(28404, "forever", "running"));
  LogClient follow(28404, log_path("forever") + "?follow=true");
  REQUIRE(follow.read_until("running\n", 10s));

  const auto start = std::chrono::steady_clock::now();
  CHECK(d.stop(20s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(follow.read_to_end(5s));  // the stream was ended, not left hanging
}

TEST_CASE("skiff logs -f deploy/NAME picks a pod and prints what it writes", "[logs]") {
  Gates gates("cli");
  const fs::path manifest = gates.dir / "web.yaml";
  std::ofstream(manifest) << R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: host/sh
        command: ["sh", "-c"]
        args:
        - 'echo serving $POD_IP; )" +
                                 gates.wait("go") + R"(echo after-follow; )" + gates.wait("end") +
                                 R"('
)";
  Daemon d(options(28405, 6, manifest));
  d.start();
  REQUIRE(api_up(28405));
  REQUIRE(eventually(
      [&] { return d.skiff("logs deploy/web").output.find("serving") != std::string::npos; }, 30s));

  auto follow = [&](const std::string& name) {
    return spawn_logged({skiff_binary(), "logs", "-f", "deploy/web", "--server", d.server()},
                        gates.dir / name);
  };
  const pid_t cli = follow("cli.out");
  const pid_t interrupted = follow("cli2.out");
  REQUIRE(cli > 0);
  REQUIRE(interrupted > 0);
  auto printed = [&](const std::string& name, const std::string& text) {
    return eventually([&] { return read_file(gates.dir / name).find(text) != std::string::npos; },
                      10s);
  };
  CHECK(printed("cli.out", "serving"));
  CHECK(printed("cli2.out", "serving"));
  gates.open("go");
  CHECK(printed("cli.out", "after-follow"));
  CHECK(printed("cli2.out", "after-follow"));
  CHECK(read_file(gates.dir / "cli.out").find("Found 2 pods, using pod/web-") != std::string::npos);

  // Ctrl-C ends a follow at once (the containers still run).
  int status = -1;
  ::kill(interrupted, SIGINT);
  CHECK(eventually([&] { return ::waitpid(interrupted, &status, WNOHANG) == interrupted; }, 5s));

  // The followed run ends, and so does the command (kubectl logs -f returns then).
  gates.open("end");
  const bool exited = eventually([&] { return ::waitpid(cli, &status, WNOHANG) == cli; }, 15s);
  if (!exited) {
    ::kill(cli, SIGKILL);
    ::waitpid(cli, &status, 0);
  }
  CHECK(exited);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(d.stop() == 0);
}

// VmRSS of a process in bytes (0 if unknown).
static size_t rss_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

TEST_CASE("a follow reads the log only as fast as its client takes it", "[logs]") {
  Gates gates("slow");
  // 40 MB of output at once, then quiet.
  const auto manifest = pod_manifest(
      gates, "flood",
      "head -c 40000000 /dev/zero | tr \"\\\\000\" x; echo; echo done; exec sleep 600");
  Daemon d(options(28406, 8, manifest));
  d.start();
  REQUIRE(api_up(28406));
  REQUIRE(eventually([&] { return get_log(28406, "flood", "?tailLines=1") == "done\n"; }, 60s));
  const int pid = daemon_pid(d.state_dir());
  REQUIRE(pid > 0);
  const size_t before = rss_bytes(pid);

  // A client that reads nothing: the daemon fills the socket and then waits.
  LogClient slow(28406, log_path("flood") + "?follow=true");
  REQUIRE(slow.read_until("xxxx", 10s));
  std::this_thread::sleep_for(1s);
  const size_t during = rss_bytes(pid);
  CHECK(during < before + (8u << 20));
  CHECK(d.skiff("get pods").exit_code == 0);  // and serves others meanwhile

  // Taking it all now gets all of it, in order, while the stream stays open.
  CHECK(slow.read_until("done\n", 60s));
  CHECK(slow.received().size() > 40000000);
  CHECK(d.stop() == 0);
}

TEST_CASE("sinceSeconds and timestamps use the times the lines were written", "[logs]") {
  Gates gates("times");
  const auto manifest =
      pod_manifest(gates, "clock", "echo old; " + gates.wait("go") + "echo new; exec sleep 600");
  Daemon d(options(28407, 9, manifest));
  d.start();
  REQUIRE(api_up(28407));
  REQUIRE(log_has(28407, "clock", "old"));
  // Time has to pass between the two lines for a since cut to tell them apart.
  std::this_thread::sleep_for(2500ms);
  gates.open("go");
  REQUIRE(log_has(28407, "clock", "new"));

  CHECK(get_log(28407, "clock", "?sinceSeconds=2") == "new\n");
  CHECK(get_log(28407, "clock", "?sinceSeconds=60") == "old\nnew\n");
  const std::string stamped = get_log(28407, "clock", "?timestamps=true");
  const auto space = stamped.find(' ');
  const auto second = stamped.find('\n') + 1;
  REQUIRE(space != std::string::npos);
  REQUIRE(second < stamped.size());
  auto seconds_of = [](const std::string& stamp) {  // "...T09:15:07.123456789Z"
    return std::stoi(stamp.substr(11, 2)) * 3600 + std::stoi(stamp.substr(14, 2)) * 60 +
           std::stod(stamp.substr(17, 12));
  };
  double gap = seconds_of(stamped.substr(second)) - seconds_of(stamped);
  if (gap < -43200) gap += 86400;  // the two lines straddle midnight UTC
  CHECK(gap > 2.0);
  CHECK(gap < 10.0);
  CHECK(d.stop() == 0);
}
