#include "controller/engine/process_engine.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "test_support.h"

using namespace skiff::controller::engine;
using skiff::test::read_file;
using skiff::test::run_until;
using skiff::test::TempDir;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  Fixture() : engine(io, ProcessEngineOptions{dir.path}) {
    engine.set_event_handler([this](const ContainerEvent& e) { events.push_back(e); });
  }

  Sandbox sandbox(const std::string& uid) {
    std::optional<Result<Sandbox>> got;
    engine.create_sandbox(SandboxRequest{uid, "pod-" + uid, "default", "pod-" + uid},
                          [&](Result<Sandbox> r) { got = r; });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    REQUIRE(got->ok());
    return got->value();
  }

  std::string start(const Sandbox& sb, const std::string& uid, std::vector<std::string> argv,
                    int restart = 0, std::string name = "main") {
    ContainerRequest req;
    req.sandbox_id = sb.id;
    req.pod_uid = uid;
    req.pod_name = "pod-" + uid;
    req.pod_namespace = "default";
    req.container_name = name;
    req.restart_count = restart;
    req.argv = std::move(argv);
    req.env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"POD_IP", sb.ip}};
    req.pod_ip = sb.ip;
    std::optional<Result<std::string>> got;
    engine.start_container(req, [&](Result<std::string> r) { got = r; });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    REQUIRE(got->ok());
    return got->value();
  }

  const ContainerEvent* exited(const std::string& id) const {
    for (const auto& e : events) {
      if (e.container_id == id && e.type == ContainerEvent::Type::kExited) return &e;
    }
    return nullptr;
  }

  std::string log(const std::string& uid, bool previous = false) {
    auto r = engine.logs(uid, "main", previous);
    return r ? *r : "<" + r.error().message + ">";
  }

  boost::asio::io_context io;
  TempDir dir;
  ProcessEngine engine;
  std::vector<ContainerEvent> events;
};

}  // namespace

TEST_CASE("a container runs with its pod IP in its env and writes to its log") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-aaaa1111");
  CHECK(sb.ip.rfind("127.244.", 0) == 0);
  std::string id = f.start(sb, "uid-aaaa1111", {"/bin/sh", "-c", "echo $POD_IP; sleep 30"});
  CHECK(run_until(f.io, [&] { return f.log("uid-aaaa1111").find(sb.ip) != std::string::npos; }));
  REQUIRE(f.events.size() >= 1);
  CHECK(f.events[0].type == ContainerEvent::Type::kStarted);
  CHECK(f.events[0].container_id == id);
  CHECK(std::filesystem::exists(f.dir.path / "pods" / "default_pod-uid-aaaa1111_uid-aaaa1111" /
                                "main" / "0.log"));
  pid_t pid = f.engine.pid_of(id);
  REQUIRE(pid > 0);

  f.engine.stop_container(id, 5s);
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  CHECK(f.exited(id)->signal == SIGTERM);
  CHECK(f.exited(id)->exit_code == 128 + SIGTERM);
  CHECK(::kill(pid, 0) == -1);
  f.engine.stop_container(id, 5s);  // idempotent after exit
}

TEST_CASE("stop_container sends SIGTERM first, the container may exit cleanly") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-term");
  auto marker = f.dir.path / "got-term";
  std::string id = f.start(sb, "uid-term",
                           {"/bin/sh", "-c",
                            "trap 'echo term > " + marker.string() +
                                "; exit 0' TERM; echo up; while :; do sleep 0.05; done"});
  REQUIRE(run_until(f.io, [&] { return f.log("uid-term").find("up") != std::string::npos; }));
  auto t0 = std::chrono::steady_clock::now();
  f.engine.stop_container(id, 10s);
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(f.exited(id)->exit_code == 0);
  CHECK(read_file(marker) == "term\n");
}

TEST_CASE("a container that ignores SIGTERM is killed after the grace period") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-stubborn");
  std::string id =
      f.start(sb, "uid-stubborn",
              {"/bin/sh", "-c", "trap '' TERM; echo up; while :; do sleep 0.05 || true; done"});
  REQUIRE(run_until(f.io, [&] { return f.log("uid-stubborn").find("up") != std::string::npos; }));
  auto t0 = std::chrono::steady_clock::now();
  f.engine.stop_container(id, 1s);
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 900ms);
  CHECK(took < 5s);
  CHECK(f.exited(id)->signal == SIGKILL);
  CHECK(f.exited(id)->exit_code == 137);
}

TEST_CASE("a container's children die with its main process") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-kids");
  auto pidfile = f.dir.path / "child.pid";
  std::string id = f.start(
      sb, "uid-kids",
      {"/bin/sh", "-c", "sleep 300 & echo $! > " + pidfile.string() + "; sleep 0.3; exit 3"});
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  CHECK(f.exited(id)->exit_code == 3);
  CHECK(f.exited(id)->signal == 0);
  int child = std::stoi(read_file(pidfile));
  REQUIRE(child > 0);
  CHECK(run_until(
      f.io, [&] { return skiff::test::process_gone(child); }, 3s));
}

TEST_CASE("a missing program exits 127 with a shell-like message in the log") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-missing");
  std::string id = f.start(sb, "uid-missing", {"python-does-not-exist", "app.py"});
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  CHECK(f.exited(id)->exit_code == 127);
  CHECK(f.log("uid-missing") == "exec: python-does-not-exist: not found\n");
}

TEST_CASE("the environment is exactly the request's, and argv[0] is found on its PATH") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-env");
  std::string id = f.start(sb, "uid-env", {"env"});  // resolved on the container's PATH
  REQUIRE(run_until(f.io, [&] { return f.exited(id) != nullptr; }));
  CHECK(f.exited(id)->exit_code == 0);
  CHECK(f.log("uid-env") == "PATH=/usr/local/bin:/usr/bin:/bin\nPOD_IP=" + sb.ip + "\n");
}

TEST_CASE("logs: the current run and the previous one, NotFound when none") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-logs");
  CHECK_FALSE(f.engine.logs("uid-logs", "main", false).ok());
  std::string a = f.start(sb, "uid-logs", {"/bin/sh", "-c", "echo first"}, 0);
  REQUIRE(run_until(f.io, [&] { return f.exited(a) != nullptr; }));
  CHECK_FALSE(f.engine.logs("uid-logs", "main", true).ok());
  std::string b = f.start(sb, "uid-logs", {"/bin/sh", "-c", "echo second"}, 1);
  REQUIRE(run_until(f.io, [&] { return f.exited(b) != nullptr; }));
  CHECK(f.log("uid-logs") == "second\n");
  CHECK(f.log("uid-logs", true) == "first\n");
  auto missing = f.engine.logs("uid-logs", "other", false);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().reason == "NotFound");
}

TEST_CASE("exec runs in the container's env, captures output, and times out") {
  Fixture f;
  Sandbox sb = f.sandbox("uid-exec");
  std::string id = f.start(sb, "uid-exec", {"/bin/sh", "-c", "sleep 30"});
  std::optional<ExecResult> r;
  f.engine.exec(id, {"/bin/sh", "-c", "echo ip=$POD_IP; exit 3"}, 2s, [&](ExecResult x) { r = x; });
  CHECK_FALSE(r.has_value());  // never completes inside the call
  REQUIRE(run_until(f.io, [&] { return r.has_value(); }));
  CHECK(r->exit_code == 3);
  CHECK(r->output == "ip=" + sb.ip + "\n");

  r.reset();
  auto t0 = std::chrono::steady_clock::now();
  f.engine.exec(id, {"sleep", "10"}, 200ms, [&](ExecResult x) { r = x; });
  REQUIRE(run_until(f.io, [&] { return r.has_value(); }));
  CHECK(r->exit_code == -1);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  f.engine.kill_all();
  CHECK(f.engine.pid_of(id) == -1);
}

TEST_CASE("sandboxes hold distinct IPs, and a removed sandbox frees its IP") {
  Fixture f;
  Sandbox a = f.sandbox("uid-a");
  Sandbox b = f.sandbox("uid-b");
  CHECK(a.ip != b.ip);
  CHECK(f.sandbox("uid-a").ip == a.ip);  // same pod, same sandbox
  f.engine.remove_sandbox(a.id);
  Sandbox c = f.sandbox("uid-c");
  CHECK(c.ip != b.ip);
}

TEST_CASE("images: build registers a Dockerfile folder, refs normalise to :latest") {
  TempDir state;
  TempDir app;
  {
    std::ofstream df(app.path / "Dockerfile");
    df << "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nENV GREETING=hi\nEXPOSE 5000\n"
          "CMD [\"python3\", \"app.py\"]\n";
  }
  ImageStore images(state.path);
  CHECK_FALSE(images.find("flask-kubernetes").has_value());
  auto built = images.build("flask-kubernetes", app.path);
  REQUIRE(built.ok());
  CHECK(built->ref == "flask-kubernetes:latest");
  auto found = images.find("flask-kubernetes:latest");
  REQUIRE(found.has_value());
  CHECK(found->cmd == std::vector<std::string>{"python3", "app.py"});
  CHECK(found->working_dir == std::filesystem::canonical(app.path).string());
  CHECK(found->id == built->id);
  CHECK(found->id.size() == 64);
  CHECK(images.find("flask-kubernetes")->ref == "flask-kubernetes:latest");
  CHECK(normalize_image_ref("registry:5000/team/app") == "registry:5000/team/app:latest");
  CHECK(normalize_image_ref("app:v2") == "app:v2");

  auto missing = images.build("x", app.path / "nope");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("no such directory") != std::string::npos);
}
