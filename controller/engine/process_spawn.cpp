#include "controller/engine/process_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace skiff::controller::engine {
namespace {

std::string message(std::string_view a, std::string_view b, std::string_view c) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size());
  out.append(a).append(b).append(c);
  return out;
}

}  // namespace

std::string resolve_on_path(const std::string& argv0, const std::string& path) {
  if (argv0.empty()) return "";
  if (argv0.find('/') != std::string::npos) return argv0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    // An empty PATH entry means the current directory, as for execvp.
    std::string candidate = end > start ? path.substr(start, end - start) : std::string(".");
    candidate.append("/").append(argv0);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

config::Result<Spawned> spawn_process(const SpawnSpec& spec) {
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed.
  std::string path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& [k, v] : spec.env) {
    if (k == "PATH") path_env = v;
  }
  const std::string argv0 = spec.argv.empty() ? std::string() : spec.argv.front();
  const std::string program = resolve_on_path(argv0, path_env);
  const std::string shown = argv0.empty() ? std::string("\"\"") : argv0;
  const std::string not_found = message("exec: ", shown, ": not found\n");
  const std::string denied = message("exec: ", shown, ": permission denied\n");
  const std::string bad_format = message("exec: ", shown, ": exec format error\n");
  const std::string no_dir = message("chdir: ", spec.working_dir, ": no such directory\n");

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : spec.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = spec.argv;
  std::vector<char*> argv;
  for (auto& s : argv_copy) argv.push_back(s.data());
  argv.push_back(nullptr);

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    return config::ApiError{
        500, "InternalError", std::string("open /dev/null: ") + std::strerror(errno), {}};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(devnull);
    return config::ApiError{500, "InternalError", std::string("fork: ") + std::strerror(err), {}};
  }
  if (pid == 0) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    ::dup2(devnull, 0);
    int out = spec.output_fd >= 0 ? spec.output_fd : devnull;
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);
    auto fail = [](const std::string& msg, int code) {
      ssize_t n = ::write(2, msg.data(), msg.size());
      (void)n;
      ::_exit(code);
    };
    if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0) fail(no_dir, 126);
    if (program.empty()) fail(not_found, 127);
    ::execve(program.c_str(), argv.data(), envp.data());
    if (errno == ENOENT || errno == ENOTDIR) fail(not_found, 127);
    if (errno == ENOEXEC) fail(bad_format, 126);
    fail(denied, 126);
  }
  ::close(devnull);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int err = errno;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return config::ApiError{
        500, "InternalError", std::string("pidfd_open: ") + std::strerror(err), {}};
  }
  ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  return Spawned{pid, pidfd};
}

bool reap(pid_t pid, ExitStatus& status) {
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    // ECHILD: someone else reaped it; report an unknown exit rather than waiting forever.
    status = ExitStatus{255, 0};
    return errno == ECHILD;
  }
  if (info.si_pid == 0) return false;
  if (info.si_code == CLD_EXITED) {
    status = ExitStatus{info.si_status, 0};
  } else {
    status = ExitStatus{128 + info.si_status, info.si_status};
  }
  return true;
}

}  // namespace skiff::controller::engine
