// A process engine takes back the containers an earlier one left running (a daemon killed
// with SIGKILL), by their records in the state dir, checked by pid and start time.
//
// The earlier engine is leaked on purpose: a killed daemon runs no destructor, so its
// containers keep running. Its containers are children of this test process, so the test
// reaps them itself once they end (as init would for a real daemon's orphans).
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <optional>
#include <variant>
#include <vector>

#include "controller/engine/container_record.h"
#include "controller/engine/process_engine.h"
#include "controller/object_file.h"
#include "controller/store_persistence.h"
#include "test_support.h"

using namespace skiff::controller::engine;
using skiff::test::process_gone;
using skiff::test::read_file;
using skiff::test::run_until;
using skiff::test::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The engine of "the daemon before": started, then abandoned without any cleanup.
struct EarlierDaemon {
  explicit EarlierDaemon(const fs::path& state)
      : io(new boost::asio::io_context),
        engine(new ProcessEngine(*io, {state, "127.247.0.0/24"})) {}

  Sandbox sandbox(const std::string& uid) {
    std::optional<Result<Sandbox>> got;
    engine->create_sandbox(SandboxRequest{uid, "pod-" + uid, "default", "pod-" + uid},
                           [&](Result<Sandbox> r) { got = r; });
    REQUIRE(run_until(*io, [&] { return got.has_value(); }));
    REQUIRE(got->ok());
    return got->value();
  }
  std::string start(const Sandbox& sb, const std::string& uid, std::vector<std::string> argv,
                    int restart = 0) {
    ContainerRequest req;
    req.sandbox_id = sb.id;
    req.pod_uid = uid;
    req.pod_name = "pod-" + uid;
    req.pod_namespace = "default";
    req.container_name = "main";
    req.restart_count = restart;
    req.argv = std::move(argv);
    req.env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"POD_IP", sb.ip}};
    req.pod_ip = sb.ip;
    std::optional<Result<std::string>> got;
    engine->start_container(req, [&](Result<std::string> r) { got = r; });
    REQUIRE(run_until(*io, [&] { return got.has_value(); }));
    REQUIRE(got->ok());
    return got->value();
  }
  // Never destroyed: what a SIGKILL leaves behind.
  boost::asio::io_context* io;
  ProcessEngine* engine;
};

struct NextDaemon {
  explicit NextDaemon(const fs::path& state) : engine(io, {state, "127.247.0.0/24"}) {
    engine.set_event_handler([this](const ContainerEvent& e) { events.push_back(e); });
  }
  std::vector<RecoveredContainer> recover() {
    std::optional<Result<std::vector<RecoveredContainer>>> got;
    engine.recover([&](Result<std::vector<RecoveredContainer>> r) { got = r; });
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
  boost::asio::io_context io;
  ProcessEngine engine;
  std::vector<ContainerEvent> events;
};

fs::path record_of(const fs::path& state, const std::string& id) {
  return state / "containers" / (id + ".json");
}

// Reaps a child of this test if it has ended; true once it is gone.
bool reaped(pid_t pid) {
  int status = 0;
  pid_t r = ::waitpid(pid, &status, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

TEST_CASE("a running container is adopted with its pid, address and environment") {
  TempDir dir;
  EarlierDaemon before(dir.path);
  Sandbox sb = before.sandbox("uid-adopt001");
  const std::string id = before.start(sb, "uid-adopt001", {"sleep", "30"}, 2);
  const pid_t pid = before.engine->pid_of(id);
  REQUIRE(pid > 0);
  REQUIRE(fs::exists(record_of(dir.path, id)));

  NextDaemon after(dir.path);
  auto recovered = after.recover();
  REQUIRE(recovered.size() == 1);
  const auto& rc = recovered[0];
  CHECK(rc.container_id == id);
  CHECK(rc.pod_uid == "uid-adopt001");
  CHECK(rc.pod_name == "pod-uid-adopt001");
  CHECK(rc.container_name == "main");
  CHECK(rc.sandbox_id == sb.id);
  CHECK(rc.pod_ip == sb.ip);
  CHECK(rc.restart_count == 2);
  CHECK_FALSE(rc.started_at.empty());
  CHECK(after.engine.pid_of(id) == pid);

  // Its address stays taken: a new pod gets another one.
  std::optional<Result<Sandbox>> other;
  after.engine.create_sandbox(SandboxRequest{"uid-other", "other", "default", "other"},
                              [&](Result<Sandbox> r) { other = r; });
  REQUIRE(run_until(after.io, [&] { return other.has_value(); }));
  REQUIRE(other->ok());
  CHECK(other->value().ip != sb.ip);

  // exec (probes) runs with the container's recorded environment.
  std::optional<ExecResult> exec;
  after.engine.exec(id, {"sh", "-c", "echo $POD_IP"}, 5s, [&](ExecResult r) { exec = r; });
  REQUIRE(run_until(after.io, [&] { return exec.has_value(); }));
  CHECK(exec->exit_code == 0);
  CHECK(exec->output == sb.ip + "\n");

  // Stopping it works like any container's; its status is known once it is reaped.
  after.engine.stop_container(id, 5s);
  REQUIRE(run_until(
      after.io, [&] { return reaped(pid) && after.exited(id) != nullptr; }, 10s));
  const ContainerEvent* ev = after.exited(id);
  INFO("exit " << ev->exit_code << (ev->exit_code_unknown ? " (unknown)" : ""));
  // Linux 6.15+ tells a non-parent the status (143: SIGTERM); older kernels cannot.
  CHECK((ev->exit_code == 143 || ev->exit_code_unknown));
  CHECK_FALSE(fs::exists(record_of(dir.path, id)));
}

TEST_CASE("a record whose pid is another process now is not adopted and the process is spared") {
  TempDir dir;
  EarlierDaemon before(dir.path);
  Sandbox sb = before.sandbox("uid-reuse001");
  const std::string id = before.start(sb, "uid-reuse001", {"sleep", "30"});
  const pid_t pid = before.engine->pid_of(id);
  REQUIRE(pid > 0);

  // Make the record describe an earlier process with the same pid: another start time.
  const fs::path record = record_of(dir.path, id);
  auto payload = skiff::controller::unframe_state_file(read_file(record));
  REQUIRE(std::holds_alternative<std::string>(payload));
  std::string error;
  auto r = record_from_json(std::get<std::string>(payload), &error);
  REQUIRE(r);
  r->start_time -= 100;
  REQUIRE_FALSE(skiff::controller::write_file_durably(
      record, skiff::controller::frame_state_file(record_to_json(*r))));

  NextDaemon after(dir.path);
  CHECK(after.recover().empty());
  CHECK(after.engine.pid_of(id) == -1);
  CHECK_FALSE(fs::exists(record));
  // Not ours to kill: the stranger still runs.
  after.io.run_for(200ms);
  CHECK_FALSE(process_gone(pid));
  // And the address is free again.
  std::optional<Result<Sandbox>> next;
  after.engine.create_sandbox(SandboxRequest{"uid-next", "next", "default", "next"},
                              [&](Result<Sandbox> res) { next = res; });
  REQUIRE(run_until(after.io, [&] { return next.has_value(); }));
  CHECK(next->value().ip == sb.ip);
  kill_and_reap(pid);
}

TEST_CASE("containers that ended while the daemon was down and torn records are not adopted") {
  TempDir dir;
  EarlierDaemon before(dir.path);
  Sandbox sb = before.sandbox("uid-ended001");
  const std::string ended = before.start(sb, "uid-ended001", {"sleep", "30"});
  const pid_t ended_pid = before.engine->pid_of(ended);
  Sandbox sb2 = before.sandbox("uid-torn0001");
  const std::string torn = before.start(sb2, "uid-torn0001", {"sleep", "30"});
  const pid_t torn_pid = before.engine->pid_of(torn);
  Sandbox sb3 = before.sandbox("uid-alive001");
  const std::string alive = before.start(sb3, "uid-alive001", {"sleep", "30"});
  const pid_t alive_pid = before.engine->pid_of(alive);
  kill_and_reap(ended_pid);
  const fs::path torn_record = record_of(dir.path, torn);
  const std::string bytes = read_file(torn_record);
  REQUIRE_FALSE(skiff::controller::write_file_durably(torn_record, bytes.substr(0, 40)));

  NextDaemon after(dir.path);
  auto recovered = after.recover();
  REQUIRE(recovered.size() == 1);
  CHECK(recovered[0].container_id == alive);
  CHECK_FALSE(fs::exists(record_of(dir.path, ended)));
  // The torn record is kept aside; its process cannot be identified, so it is left alone.
  CHECK(fs::exists(torn_record.string() + ".corrupt"));
  CHECK_FALSE(process_gone(torn_pid));
  kill_and_reap(torn_pid);
  after.engine.stop_container(alive, 0s);
  CHECK(run_until(
      after.io, [&] { return reaped(alive_pid) && after.exited(alive); }, 10s));
}
