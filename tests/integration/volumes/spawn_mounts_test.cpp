// spawn_process with mounts, on the real kernel: the process sees its binds (and its host
// does not), a mount that cannot be made is refused with the mount and the system's reason,
// and without root the refusal says that root is needed.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "controller/engine/process_spawn.h"
#include "tests/integration/seed/harness.h"

using namespace skiff::controller::engine;
using skiff::test::read_file;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path dir;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "skiff-spawn-mounts-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Waits for the spawned process (bounded: it is killed after 10 s) and returns its exit code.
int wait_exit(const Spawned& s) {
  for (int i = 0; i < 1000; ++i) {
    ExitStatus st;
    if (reap(s.pid, st)) {
      ::close(s.pidfd);
      return st.exit_code;
    }
    ::usleep(10000);
  }
  ::kill(-s.pid, SIGKILL);
  ::waitpid(s.pid, nullptr, 0);
  ::close(s.pidfd);
  return -1;
}

}  // namespace

TEST_CASE("a spawned process sees its bind mounts, read-only where asked") {
  REQUIRE(::geteuid() == 0);
  Scratch s;
  fs::create_directories(s.dir / "vol");
  std::ofstream(s.dir / "vol" / "in") << "from-volume";
  const fs::path target = s.dir / "a" / "b" / "mnt";  // missing: created on the way
  const fs::path out = s.dir / "out";
  SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "cat " + target.string() + "/in > " + out.string() + "; (echo x > " +
                   target.string() + "/w) 2>> " + out.string() + "; exit 0"};
  spec.mounts = {Mount{(s.dir / "vol").string(), target.string(), true, false}};
  auto spawned = spawn_process(spec);
  REQUIRE(spawned);
  CHECK(wait_exit(*spawned) == 0);
  const std::string seen = read_file(out);
  CHECK(seen.rfind("from-volume", 0) == 0);
  CHECK(seen.find("Read-only file system") != std::string::npos);
  CHECK_FALSE(fs::exists(s.dir / "vol" / "w"));
  // The host sees the mount point the process needed, empty: the bind was only its own.
  CHECK(fs::is_directory(target));
  CHECK(fs::is_empty(target));
}

TEST_CASE("a mount that cannot be made is refused with the mount and the reason") {
  REQUIRE(::geteuid() == 0);
  Scratch s;
  SpawnSpec spec;
  spec.argv = {"/bin/true"};
  spec.mounts = {Mount{(s.dir / "missing").string(), (s.dir / "mnt").string(), false, false}};
  auto spawned = spawn_process(spec);
  REQUIRE_FALSE(spawned);
  CHECK(spawned.error().reason == "RunContainerError");
  CHECK(spawned.error().message == "mount: bind " + (s.dir / "missing").string() + " on " +
                                       (s.dir / "mnt").string() + ": No such file or directory");
}

TEST_CASE("without root a process with mounts is refused: root is needed") {
  REQUIRE(::geteuid() == 0);
  Scratch s;
  int report[2];
  REQUIRE(::pipe(report) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    std::string message = "setresuid failed";
    if (::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0) {
      SpawnSpec spec;
      spec.argv = {"/bin/true"};
      spec.mounts = {Mount{s.dir.string(), (s.dir / "mnt").string(), false, false}};
      auto spawned = spawn_process(spec);
      message = spawned ? "spawned" : spawned.error().message;
    }
    ssize_t n = ::write(report[1], message.data(), message.size());
    ::_exit(n < 0 ? 1 : 0);
  }
  ::close(report[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;) message.append(buf, n);
  ::close(report[0]);
  ::waitpid(child, nullptr, 0);
  CHECK(message ==
        "the container's volumes are bind-mounted in a mount namespace of its own, which needs "
        "root: run the daemon as root, or use --engine docker");
}
