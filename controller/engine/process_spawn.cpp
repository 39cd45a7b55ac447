#include "controller/engine/process_spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

// One mount, with every string the child needs made before fork (only async-signal-safe
// calls run between fork and exec).
struct PreparedMount {
  std::vector<std::pair<std::string, std::string>> parents;  // {path, "mkdir <path>: "}
  std::string source;
  std::string target;
  bool dir = true;
  bool read_only = false;
  unsigned long keep_flags = 0;  // nosuid / nodev / noexec of the source, kept on remount
  std::string target_fail;
  std::string bind_fail;
  std::string ro_fail;
};

std::vector<PreparedMount> prepare_mounts(const std::vector<Mount>& mounts) {
  std::vector<PreparedMount> out;
  for (const auto& m : mounts) {
    PreparedMount p;
    p.source = m.source;
    p.target = m.target;
    struct stat st {};
    p.dir = ::stat(m.source.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
    p.read_only = m.read_only;
    struct statvfs vfs {};
    if (::statvfs(m.source.c_str(), &vfs) == 0) {
      if (vfs.f_flag & ST_NOSUID) p.keep_flags |= MS_NOSUID;
      if (vfs.f_flag & ST_NODEV) p.keep_flags |= MS_NODEV;
      if (vfs.f_flag & ST_NOEXEC) p.keep_flags |= MS_NOEXEC;
    }
    for (size_t slash = m.target.find('/', 1); slash != std::string::npos;
         slash = m.target.find('/', slash + 1)) {
      std::string parent = m.target.substr(0, slash);
      p.parents.emplace_back(parent, message("mount: mkdir ", parent, ": "));
    }
    p.target_fail = message("mount: create mount point ", m.target, ": ");
    p.bind_fail = message("mount: bind ", m.source + " on ", m.target + ": ");
    p.ro_fail = message("mount: make ", m.target, " read-only: ");
    out.push_back(std::move(p));
  }
  return out;
}

// write(2) of a whole string, for the child (async-signal-safe).
void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
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

  const std::vector<PreparedMount> mounts = prepare_mounts(spec.mounts);
  const std::string no_ns =
      "mount: a mount namespace of the container's own (unshare): needs root (CAP_SYS_ADMIN): ";
  const std::string no_slave = "mount: make / a slave mount in the container: ";
  const std::string no_join = "exec: join the container's mount namespace: ";
  if (!mounts.empty() && ::geteuid() != 0) {
    return config::ApiError{500,
                            "RunContainerError",
                            "the container's volumes are bind-mounted in a mount namespace of "
                            "its own, which needs root: run the daemon as root, or use "
                            "--engine docker",
                            {}};
  }
  // The child reports a failed mount or cgroup join here; exec closes it (O_CLOEXEC), so EOF
  // means exec ran: the container counts as started only once it is in its cgroups and mounts.
  int report[2] = {-1, -1};
  if ((!mounts.empty() || !spec.cgroup_procs.empty()) && ::pipe2(report, O_CLOEXEC) != 0) {
    return config::ApiError{500, "InternalError", std::string("pipe: ") + std::strerror(errno), {}};
  }

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) {
    if (report[0] >= 0) {
      ::close(report[0]);
      ::close(report[1]);
    }
    return config::ApiError{
        500, "InternalError", std::string("open /dev/null: ") + std::strerror(errno), {}};
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(devnull);
    if (report[0] >= 0) {
      ::close(report[0]);
      ::close(report[1]);
    }
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
    auto fail = [](const std::string& msg, int code) {
      ssize_t n = ::write(2, msg.data(), msg.size());
      (void)n;
      ::_exit(code);
    };
    // A mount failure goes to the output and to the report pipe, with the system's reason.
    const int report_fd = report[1];
    auto mount_fail = [report_fd](const std::string& msg) {
      const char* why = ::strerrordesc_np(errno);
      if (why == nullptr) why = "unknown error";
      for (int fd : {2, report_fd}) {
        write_all(fd, msg.data(), msg.size());
        write_all(fd, why, std::strlen(why));
        write_all(fd, "\n", 1);
      }
      ::_exit(125);
    };
    if (spec.mount_ns_fd >= 0 && ::setns(spec.mount_ns_fd, CLONE_NEWNS) != 0) {
      const char* why = ::strerrordesc_np(errno);
      write_all(2, no_join.data(), no_join.size());
      if (why) write_all(2, why, std::strlen(why));
      ::_exit(126);
    }
    ::dup2(devnull, 0);
    int out = spec.output_fd >= 0 ? spec.output_fd : devnull;
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (report_fd >= 0) {
      // The report pipe stays open (close-on-exec) past the sweep of inherited descriptors.
      if (report_fd > 3) ::close_range(3, static_cast<unsigned>(report_fd - 1), 0);
      ::close_range(static_cast<unsigned>(report_fd + 1), ~0U, 0);
    } else {
      ::close_range(3, ~0U, 0);
    }
    for (const auto& procs : spec.cgroup_procs) {
      int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, "0", 1) != 1) {  // "0": the writing process itself
        const char* why = ::strerrordesc_np(errno);
        if (why == nullptr) why = "unknown error";
        for (int to : {2, report_fd}) {
          write_all(to, "cgroup: join ", 13);
          write_all(to, procs.data(), procs.size());
          write_all(to, ": ", 2);
          write_all(to, why, std::strlen(why));
          write_all(to, "\n", 1);
        }
        ::_exit(125);
      }
      ::close(fd);
    }
    if (!mounts.empty()) {
      if (::unshare(CLONE_NEWNS) != 0) mount_fail(no_ns);
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) mount_fail(no_slave);
      for (const auto& m : mounts) {
        for (const auto& [parent, parent_fail] : m.parents) {
          if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) mount_fail(parent_fail);
        }
        if (m.dir) {
          if (::mkdir(m.target.c_str(), 0755) != 0 && errno != EEXIST) mount_fail(m.target_fail);
        } else {
          int fd = ::open(m.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
          if (fd < 0 && errno != EISDIR) mount_fail(m.target_fail);
          if (fd >= 0) ::close(fd);
        }
        if (::mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          mount_fail(m.bind_fail);
        }
        if (m.read_only && ::mount(nullptr, m.target.c_str(), nullptr,
                                   MS_REMOUNT | MS_BIND | MS_RDONLY | m.keep_flags, nullptr) != 0) {
          mount_fail(m.ro_fail);
        }
      }
    }
    if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0) fail(no_dir, 126);
    if (program.empty()) fail(not_found, 127);
    ::execve(program.c_str(), argv.data(), envp.data());
    if (errno == ENOENT || errno == ENOTDIR) fail(not_found, 127);
    if (errno == ENOEXEC) fail(bad_format, 126);
    fail(denied, 126);
  }
  ::close(devnull);
  if (report[0] >= 0) {
    ::close(report[1]);
    std::string failure;
    char buf[512];
    for (;;) {
      ssize_t n = ::read(report[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      failure.append(buf, static_cast<size_t>(n));
    }
    ::close(report[0]);
    if (!failure.empty()) {
      while (!failure.empty() && failure.back() == '\n') failure.pop_back();
      ::waitpid(pid, nullptr, 0);  // it exits right after reporting
      return config::ApiError{500, "RunContainerError", failure, {}};
    }
  }
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
