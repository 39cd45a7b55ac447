#include "controller/engine/process_engine.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "controller/engine/process_spawn.h"
#include "controller/object_file.h"
#include "controller/rfc3339.h"
#include "controller/store_persistence.h"

namespace skiff::controller::engine {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr size_t kExecOutputMax = 10 * 1024;
// How long an adopted container's exit waits for its new parent to reap it (the kernel has
// its exit status only then), polled at kExitInfoPoll.
constexpr int kExitInfoAttempts = 40;
constexpr std::chrono::milliseconds kExitInfoPoll{25};
// An ended container's cgroup is removed once the processes killed in it are gone.
constexpr int kCgroupRemoveAttempts = 50;
constexpr std::chrono::milliseconds kCgroupRemoveRetry{100};

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::string error;
  auto text = read_whole_file("/proc/" + std::to_string(pid) + "/stat", &error);
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

// PIDFD_GET_INFO with PIDFD_INFO_EXIT (Linux 6.15), declared here because Debian 12's
// headers predate it. The layout is the kernel's first version (PIDFD_INFO_SIZE_VER0).
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;  // a wait status
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr uint64_t kPidfdInfoExit = uint64_t{1} << 3;
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);

// The wait status of the process behind pidfd once it has exited and been reaped; nullopt
// before that, or when the kernel cannot tell (older than 6.15).
std::optional<int> pidfd_exit_status(int pidfd) {
  PidfdInfo info{};
  info.mask = kPidfdInfoExit;
  if (::ioctl(pidfd, kPidfdGetInfo, &info) != 0) return std::nullopt;
  if (!(info.mask & kPidfdInfoExit)) return std::nullopt;
  return info.exit_code;
}

// True once the process behind pidfd has exited (readable pidfd).
bool pidfd_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

IpAllocator make_allocator(const std::string& cidr) {
  auto a = IpAllocator::from_cidr(cidr);
  if (a) return std::move(a.value());
  spdlog::warn("process engine: {}; using 127.244.0.0/16", a.error().message);
  return std::move(IpAllocator::from_cidr("127.244.0.0/16").value());
}

// Log files of one container, ordered by restart count.
std::vector<std::pair<int, fs::path>> log_files(const fs::path& dir) {
  std::vector<std::pair<int, fs::path>> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".log") continue;
    const std::string stem = p.stem().string();
    if (stem.empty() || !std::all_of(stem.begin(), stem.end(), ::isdigit) || stem.size() > 9) {
      continue;
    }
    out.emplace_back(std::stoi(stem), p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One exec: the process, its output pipe and its deadline; completes once both the process
// has exited and its output reached EOF (or the deadline passed).
struct ExecSession : std::enable_shared_from_this<ExecSession> {
  ExecSession(asio::io_context& io, int out_fd, int pidfd)
      : output(io, out_fd), exit_watch(io, pidfd), deadline(io) {}
  asio::posix::stream_descriptor output;
  asio::posix::stream_descriptor exit_watch;
  asio::steady_timer deadline;
  pid_t pid = -1;
  bool exited = false;
  bool eof = false;
  bool timed_out = false;
  bool finished = false;
  int exit_code = -1;
  std::string captured;
  std::array<char, 4096> buf{};
  std::function<void(ExecResult)> done;

  void start(std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    read();
    exit_watch.async_wait(asio::posix::stream_descriptor::wait_read,
                          [self](const boost::system::error_code& ec) {
                            if (!ec && !self->exited) self->on_exit();
                          });
    deadline.expires_after(timeout);
    deadline.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->exited) return;
      self->timed_out = true;
      ::kill(-self->pid, SIGKILL);
    });
  }
  void read() {
    auto self = shared_from_this();
    output.async_read_some(
        asio::buffer(buf), [self](const boost::system::error_code& ec, size_t n) {
          if (n > 0 && self->captured.size() < kExecOutputMax) {
            self->captured.append(self->buf.data(),
                                  std::min(n, kExecOutputMax - self->captured.size()));
          }
          if (ec) {
            self->eof = true;
            self->maybe_finish();
            return;
          }
          self->read();
        });
  }
  void on_exit() {
    // A wakeup is not proof of an exit (see ProcessEngine::on_exit).
    if (!pidfd_exited(exit_watch.native_handle())) {
      auto self = shared_from_this();
      exit_watch.async_wait(asio::posix::stream_descriptor::wait_read,
                            [self](const boost::system::error_code& ec) {
                              if (!ec && !self->exited) self->on_exit();
                            });
      return;
    }
    ::kill(-pid, SIGKILL);  // the exec ends with its main process, like a container
    ExitStatus st;
    if (!reap(pid, st)) {
      auto self = shared_from_this();
      exit_watch.async_wait(asio::posix::stream_descriptor::wait_read,
                            [self](const boost::system::error_code& ec) {
                              if (!ec && !self->exited) self->on_exit();
                            });
      return;
    }
    exited = true;
    exit_code = timed_out ? -1 : st.exit_code;
    deadline.cancel();
    maybe_finish();
  }
  void maybe_finish() {
    if (finished || !exited || !eof) return;
    finished = true;
    boost::system::error_code ignored;
    output.close(ignored);
    exit_watch.close(ignored);
    auto d = std::move(done);
    d(ExecResult{exit_code, std::move(captured)});
  }
};

}  // namespace

ProcessEngine::ProcessEngine(asio::io_context& io, ProcessEngineOptions options)
    : io_(io),
      options_(std::move(options)),
      images_(options_.state_dir),
      ips_(make_allocator(options_.pod_cidr)),
      cgroups_(CgroupManager::detect()) {
  if (!cgroups_.unavailable().empty()) {
    spdlog::info("process engine: container resource limits are not enforced: {}",
                 cgroups_.unavailable());
  }
}

ProcessEngine::~ProcessEngine() {
  *alive_ = false;
  kill_all();
}

void ProcessEngine::set_event_handler(EventHandler handler) { handler_ = std::move(handler); }

void ProcessEngine::emit(ContainerEvent event) {
  asio::post(io_, [this, alive = alive_, event = std::move(event)] {
    if (*alive && handler_) handler_(event);
  });
}

void ProcessEngine::inspect_image(const std::string& ref, Done<std::optional<ImageConfig>> done) {
  auto image = images_.find(ref);
  asio::post(io_, [alive = alive_, image = std::move(image), done = std::move(done)] {
    if (*alive) done(image);
  });
}

void ProcessEngine::create_sandbox(const SandboxRequest& request, Done<Sandbox> done) {
  auto finish = [this](Done<Sandbox> d, Result<Sandbox> r) {
    asio::post(io_, [alive = alive_, d = std::move(d), r = std::move(r)] {
      if (*alive) d(r);
    });
  };
  const std::string id = "sandbox-" + request.pod_uid;
  if (auto it = sandboxes_.find(id); it != sandboxes_.end()) {
    return finish(std::move(done), Sandbox{id, it->second.ip});
  }
  auto ip = ips_.allocate();
  if (!ip) {
    return finish(
        std::move(done),
        ApiError{503, "ServiceUnavailable", "no free pod address in " + options_.pod_cidr, {}});
  }
  fs::path dir = options_.state_dir / "pods" /
                 (request.pod_namespace + "_" + request.pod_name + "_" + request.pod_uid);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    ips_.release(*ip);
    return finish(
        std::move(done),
        ApiError{500, "InternalError", "create " + dir.string() + ": " + ec.message(), {}});
  }
  sandboxes_[id] = SandboxRecord{*ip, request.pod_uid, dir};
  pod_dirs_[request.pod_uid] = dir;
  finish(std::move(done), Sandbox{id, *ip});
}

void ProcessEngine::remove_sandbox(const std::string& sandbox_id) {
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) return;
  ips_.release(it->second.ip);
  remove_mount_points(it->second.pod_uid);
  sandboxes_.erase(it);
}

// Mount points live on the host's filesystem (the container shares it): a missing mountPath
// is created there by the container's first start. The folders and files skiff created are
// noted here and removed with the pod's sandbox, unless another pod still mounts on them (an
// rmdir would detach that pod's mount) or something was put in them meanwhile.
void ProcessEngine::note_mount_points(const std::string& pod_uid,
                                      const std::vector<Mount>& mounts) {
  for (const auto& m : mounts) {
    mount_point_users_[m.target].insert(pod_uid);
    // Paths under another mount of this container are made inside that volume, not here.
    const bool nested = std::any_of(mounts.begin(), mounts.end(), [&](const Mount& o) {
      return o.target != m.target && m.target.starts_with(o.target + "/");
    });
    if (nested) continue;
    std::error_code ec;
    fs::path p;
    for (const auto& part : fs::path(m.target)) {
      p /= part;
      if (p == "/" || fs::exists(fs::symlink_status(p, ec))) continue;
      auto& owners = created_mount_points_[p.string()];
      owners.insert(pod_uid);
    }
  }
}

void ProcessEngine::remove_mount_points(const std::string& pod_uid) {
  for (auto it = mount_point_users_.begin(); it != mount_point_users_.end();) {
    it->second.erase(pod_uid);
    it = it->second.empty() ? mount_point_users_.erase(it) : std::next(it);
  }
  // Deepest first, so a folder made for a mount point goes after the mount point in it.
  std::vector<std::string> mine;
  for (auto& [path, owners] : created_mount_points_) {
    if (owners.erase(pod_uid) && owners.empty()) mine.push_back(path);
  }
  std::sort(mine.begin(), mine.end(), std::greater<>());
  for (const auto& path : mine) {
    created_mount_points_.erase(path);
    bool in_use = false;
    for (const auto& [target, users] : mount_point_users_) {
      in_use = in_use || target == path || target.starts_with(path + "/");
    }
    if (in_use) continue;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ::rmdir(path.c_str());  // fails, and keeps it, when something was put in it
    } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
      ::unlink(path.c_str());
    }
  }
}

fs::path ProcessEngine::container_dir(const std::string& pod_uid,
                                      const std::string& container) const {
  auto it = pod_dirs_.find(pod_uid);
  if (it != pod_dirs_.end()) return it->second / container;
  // A pod whose sandbox this engine did not create (e.g. logs after a daemon restart).
  std::error_code ec;
  for (fs::directory_iterator d(options_.state_dir / "pods", ec), end; !ec && d != end;
       d.increment(ec)) {
    const std::string name = d->path().filename().string();
    if (name.size() > pod_uid.size() && name.ends_with("_" + pod_uid)) {
      return d->path() / container;
    }
  }
  return {};
}

void ProcessEngine::start_container(const ContainerRequest& request, Done<std::string> done) {
  auto fail = [this, &done](ApiError e) {
    asio::post(io_, [alive = alive_, d = std::move(done), e = std::move(e)] {
      if (*alive) d(e);
    });
  };
  if (request.argv.empty()) {
    return fail(ApiError::bad_request("container " + request.container_name +
                                      ": no command to run (no command in the spec or image)"));
  }
  if (!pod_dirs_.contains(request.pod_uid)) {
    pod_dirs_[request.pod_uid] =
        options_.state_dir / "pods" /
        (request.pod_namespace + "_" + request.pod_name + "_" + request.pod_uid);
  }
  const fs::path pod_dir = pod_dirs_[request.pod_uid];
  const fs::path dir = pod_dir / request.container_name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ApiError{500, "InternalError", dir.string() + ": " + ec.message(), {}});
  const fs::path log = dir / (std::to_string(request.restart_count) + ".log");
  int log_fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return fail(ApiError{500, "InternalError", "open " + log.string() + ": failed", {}});
  }
  const std::string working_dir =
      request.working_dir.empty() ? pod_dir.string() : request.working_dir;
  // Limits: the container's own cgroups, joined by the child before exec. Without cgroups
  // it runs unlimited and the kubelet says so (limits_unenforced()).
  ContainerCgroup cgroup;
  if (cgroups_.unavailable().empty()) {
    auto made =
        cgroups_.create(request.pod_uid, request.container_name,
                        ContainerLimits{request.limits.memory_bytes, request.limits.cpu_milli,
                                        request.limits.cpu_request_milli});
    if (!made) {
      ::close(log_fd);
      return fail(made.error());
    }
    cgroup = std::move(*made);
  }
  note_mount_points(request.pod_uid, request.mounts);
  SpawnSpec spawn_spec;
  spawn_spec.argv = request.argv;
  spawn_spec.env = request.env;
  spawn_spec.working_dir = working_dir;
  spawn_spec.output_fd = log_fd;
  spawn_spec.mounts = request.mounts;
  spawn_spec.cgroup_procs = cgroup.procs_files();
  auto spawned = spawn_process(spawn_spec);
  ::close(log_fd);
  if (!spawned) {
    (void)cgroups_.remove(cgroup);
    return fail(spawned.error());
  }

  auto c = std::make_shared<Running>();
  c->id = request.pod_uid.substr(0, 8) + "-" + request.container_name + "-" +
          std::to_string(request.restart_count) + "-" + std::to_string(spawned->pid) + "-" +
          std::to_string(next_id_++);
  c->pod_uid = request.pod_uid;
  c->container_name = request.container_name;
  c->pid = spawned->pid;
  c->cgroup = std::move(cgroup);
  c->env = request.env;
  c->working_dir = working_dir;
  c->log = log;
  c->pidfd = std::make_unique<asio::posix::stream_descriptor>(io_, spawned->pidfd);
  containers_[c->id] = c;
  log_times_.watch(c->log);
  const std::string started_at = rfc3339_now();
  // The child cannot be reaped before on_exit, so its /proc entry (a zombie at worst) holds.
  if (auto st = read_proc_stat(c->pid)) {
    write_record(*c,
                 ContainerRecord{c->id, c->pid, st->start_time, request.pod_uid, request.pod_name,
                                 request.pod_namespace, request.container_name, request.sandbox_id,
                                 request.pod_ip, request.restart_count, started_at, log.string(),
                                 pod_dir.string(), request.env, working_dir});
  } else {
    spdlog::warn(
        "process engine: no /proc entry for pid {}: container {} cannot be adopted "
        "after a daemon restart",
        c->pid, c->id);
  }
  watch_exit(c);

  asio::post(io_, [alive = alive_, d = std::move(done), id = c->id] {
    if (*alive) d(id);
  });
  emit(ContainerEvent{ContainerEvent::Type::kStarted, c->id, c->pod_uid, c->container_name, 0, 0,
                      false, started_at});
}

void ProcessEngine::write_record(Running& c, ContainerRecord record) {
  const fs::path path = records_dir() / (path_component(c.id) + ".json");
  if (auto e = write_file_durably(path, frame_state_file(record_to_json(record)))) {
    spdlog::warn("process engine: container {} cannot be adopted after a daemon restart: {}", c.id,
                 *e);
    return;
  }
  c.record = path;
}

void ProcessEngine::drop_record(Running& c) {
  if (c.record.empty()) return;
  if (auto e = remove_file_durably(c.record)) spdlog::warn("process engine: {}", *e);
  c.record.clear();
}

void ProcessEngine::watch_exit(const std::shared_ptr<Running>& c) {
  c->pidfd->async_wait(asio::posix::stream_descriptor::wait_read,
                       [this, alive = alive_, c](const boost::system::error_code& ec) {
                         if (!*alive || c->exited) return;
                         if (ec == asio::error::operation_aborted) return;
                         on_exit(c);
                       });
}

void ProcessEngine::on_exit(const std::shared_ptr<Running>& c) {
  // A readiness wakeup is not proof of an exit: when a pidfd is closed and its number reused
  // at once, the reactor can hand a stale event to the new descriptor. A group kill on that
  // word would kill a healthy container, so the pidfd itself is asked first.
  if (!pidfd_exited(c->pidfd->native_handle())) return watch_exit(c);
  if (c->adopted) return on_adopted_exit(c);
  // The main process is a zombie now, so its pid (= the group id) cannot be reused yet: the
  // group kill cannot hit a stranger.
  ::kill(-c->pid, SIGKILL);
  ExitStatus st;
  if (!reap(c->pid, st)) return watch_exit(c);
  finish_exit(c, st.exit_code, st.signal, false);
}

void ProcessEngine::on_adopted_exit(const std::shared_ptr<Running>& c) {
  if (c->exit_info_attempts == 0) {
    // The rest of the group goes with its leader. The leader may already be reaped by its
    // new parent, but the group id stays taken while any member lives, so this reaches the
    // container's own processes or nobody.
    ::kill(-c->pid, SIGKILL);
  }
  if (auto status = pidfd_exit_status(c->pidfd->native_handle())) {
    if (WIFSIGNALED(*status)) {
      return finish_exit(c, 128 + WTERMSIG(*status), WTERMSIG(*status), false);
    }
    return finish_exit(c, WEXITSTATUS(*status), 0, false);
  }
  if (++c->exit_info_attempts >= kExitInfoAttempts) {
    spdlog::info(
        "process engine: adopted container {} (pid {}) exited; its exit status is not "
        "known",
        c->id, c->pid);
    return finish_exit(c, 255, 0, true);
  }
  if (!c->exit_info_timer) c->exit_info_timer = std::make_unique<asio::steady_timer>(io_);
  c->exit_info_timer->expires_after(kExitInfoPoll);
  c->exit_info_timer->async_wait([this, alive = alive_, c](const boost::system::error_code& ec) {
    if (ec || !*alive || c->exited) return;
    on_adopted_exit(c);
  });
}

void ProcessEngine::finish_exit(const std::shared_ptr<Running>& c, int exit_code, int signal,
                                bool unknown) {
  c->exited = true;
  if (c->kill_timer) c->kill_timer->cancel();
  if (c->exit_info_timer) c->exit_info_timer->cancel();
  boost::system::error_code ignored;
  c->pidfd->close(ignored);
  drop_record(*c);
  containers_.erase(c->id);
  ContainerEvent ev{ContainerEvent::Type::kExited,
                    c->id,
                    c->pod_uid,
                    c->container_name,
                    exit_code,
                    signal,
                    false,
                    rfc3339_now()};
  ev.exit_code_unknown = unknown;
  // The kernel counts OOM kills per cgroup: one since the start is OOMKilled (as Docker).
  ev.oom_killed = cgroups_.oom_killed(c->cgroup);
  release_cgroup(std::move(c->cgroup), kCgroupRemoveAttempts);
  log_times_.unwatch(c->log);
  c->run_end->end();
  emit(std::move(ev));
}

void ProcessEngine::release_cgroup(ContainerCgroup cgroup, int attempts_left) {
  if (cgroup.empty() || cgroups_.remove(cgroup)) return;
  if (attempts_left <= 0) {
    spdlog::warn("process engine: cgroup {} still has processes after SIGKILL; left in place",
                 cgroup.dirs.front().string());
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, kCgroupRemoveRetry);
  timer->async_wait([this, alive = alive_, timer, cgroup = std::move(cgroup),
                     attempts_left](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    release_cgroup(cgroup, attempts_left - 1);
  });
}

void ProcessEngine::stop_container(const std::string& container_id, std::chrono::seconds grace) {
  auto it = containers_.find(container_id);
  if (it == containers_.end() || it->second->exited) return;
  auto c = it->second;
  if (grace.count() <= 0) {
    ::kill(-c->pid, SIGKILL);
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + grace;
  if (c->kill_timer && c->kill_timer->expiry() <= deadline) return;  // already stopping sooner
  if (!c->kill_timer) {
    ::kill(-c->pid, SIGTERM);
    c->kill_timer = std::make_unique<asio::steady_timer>(io_);
  }
  c->kill_timer->expires_at(deadline);
  c->kill_timer->async_wait([alive = alive_, c](const boost::system::error_code& ec) {
    if (ec || !*alive || c->exited) return;
    ::kill(-c->pid, SIGKILL);
  });
}

void ProcessEngine::exec(const std::string& container_id, const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout, std::function<void(ExecResult)> done) {
  auto post_result = [this](std::function<void(ExecResult)> d, ExecResult r) {
    asio::post(io_, [alive = alive_, d = std::move(d), r = std::move(r)] {
      if (*alive) d(r);
    });
  };
  auto it = containers_.find(container_id);
  if (it == containers_.end() || it->second->exited) {
    return post_result(std::move(done), ExecResult{-1, "container is not running"});
  }
  if (argv.empty()) return post_result(std::move(done), ExecResult{-1, "exec: empty command"});
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return post_result(std::move(done), ExecResult{-1, "exec: pipe failed"});
  }
  // A container with volumes has a mount namespace of its own: the exec joins it, so it sees
  // what the container sees.
  int ns_fd = -1;
  {
    const std::string theirs = "/proc/" + std::to_string(it->second->pid) + "/ns/mnt";
    struct stat a {};
    struct stat b {};
    if (::stat(theirs.c_str(), &a) == 0 && ::stat("/proc/self/ns/mnt", &b) == 0 &&
        a.st_ino != b.st_ino) {
      ns_fd = ::open(theirs.c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
  SpawnSpec exec_spec;
  exec_spec.argv = argv;
  exec_spec.env = it->second->env;
  exec_spec.working_dir = it->second->working_dir;
  exec_spec.output_fd = fds[1];
  exec_spec.mount_ns_fd = ns_fd;
  // As `docker exec`: the exec counts against the container's limits.
  exec_spec.cgroup_procs = it->second->cgroup.procs_files();
  auto spawned = spawn_process(exec_spec);
  if (ns_fd >= 0) ::close(ns_fd);
  ::close(fds[1]);
  if (!spawned) {
    ::close(fds[0]);
    return post_result(std::move(done), ExecResult{-1, spawned.error().message});
  }
  auto session = std::make_shared<ExecSession>(io_, fds[0], spawned->pidfd);
  session->pid = spawned->pid;
  session->done = [alive = alive_, d = std::move(done)](ExecResult r) {
    if (*alive) d(std::move(r));
  };
  session->start(timeout);
}

Result<std::string> ProcessEngine::logs(const std::string& pod_uid,
                                        const std::string& container_name, bool previous) {
  const fs::path dir = container_dir(pod_uid, container_name);
  auto files = dir.empty() ? decltype(log_files(dir)){} : log_files(dir);
  const size_t want = previous ? 2 : 1;
  if (files.size() < want) {
    return ApiError::not_found(std::string(previous ? "previous " : "") + "log of container \"" +
                               container_name + "\"");
  }
  std::ifstream in(files[files.size() - want].second, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::unique_ptr<LogStream>> ProcessEngine::open_log(const std::string& pod_uid,
                                                           const std::string& container_name,
                                                           const LogOptions& options) {
  const fs::path dir = container_dir(pod_uid, container_name);
  auto files = dir.empty() ? decltype(log_files(dir)){} : log_files(dir);
  const size_t want = options.previous ? 2 : 1;
  if (files.size() < want) {
    return ApiError::not_found(std::string(options.previous ? "previous " : "") +
                               "log of container \"" + container_name + "\"");
  }
  FileLogSource source;
  source.path = files[files.size() - want].second;
  source.time_of = log_time_of(source.path);
  for (const auto& [id, c] : containers_) {
    if (!c->exited && c->pod_uid == pod_uid && c->container_name == container_name &&
        c->log == source.path) {
      source.run = c->run_end;
    }
  }
  return open_file_log(io_, std::move(source), options);
}

pid_t ProcessEngine::pid_of(const std::string& container_id) const {
  auto it = containers_.find(container_id);
  return it == containers_.end() || it->second->exited ? -1 : it->second->pid;
}

void ProcessEngine::recover(Done<std::vector<RecoveredContainer>> done) {
  std::vector<RecoveredContainer> out;
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(records_dir(), ec), end; !ec && it != end; it.increment(ec)) {
    files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    const std::string name = path.filename().string();
    if (name.starts_with(".") && name.ends_with(".tmp")) {  // a write that never completed
      (void)remove_file_durably(path);
      continue;
    }
    if (!name.ends_with(".json")) continue;
    std::string error;
    auto bytes = read_whole_file(path, &error);
    std::optional<ContainerRecord> record;
    if (bytes) {
      auto payload = unframe_state_file(*bytes);
      if (auto* text = std::get_if<std::string>(&payload)) {
        record = record_from_json(*text, &error);
      } else {
        error = std::get<UnframeError>(payload).message;
      }
    }
    if (!record) {
      // Without a whole record the process cannot be identified, so it is left alone.
      spdlog::error(
          "process engine: container record {} refused: {}; its process (if any) is "
          "not adopted",
          path.string(), error);
      fs::path aside = path;
      aside += ".corrupt";
      fs::rename(path, aside, ec);
      continue;
    }
    if (auto why = adopt(*record, out)) {
      spdlog::info("process engine: container {} of pod {}/{} not adopted: {}",
                   record->container_id, record->pod_namespace, record->pod_name, *why);
      (void)remove_file_durably(path);
      continue;
    }
    containers_.at(record->container_id)->record = path;
    spdlog::info("process engine: adopted container {} of pod {}/{} (pid {})", record->container_id,
                 record->pod_namespace, record->pod_name, record->pid);
  }
  asio::post(io_, [alive = alive_, done = std::move(done), out = std::move(out)] {
    if (*alive) done(out);
  });
}

std::optional<std::string> ProcessEngine::adopt(const ContainerRecord& r,
                                                std::vector<RecoveredContainer>& out) {
  if (containers_.contains(r.container_id)) return "already running";
  // The pidfd first, then the identity check: if the checked process is still alive after
  // the check (the pidfd is not readable), the pidfd names that process, because its pid
  // cannot be reused while it lives.
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, r.pid, 0));
  if (fd < 0) return fmt::format("pid {} is gone: it ended while the daemon was down", r.pid);
  auto st = read_proc_stat(r.pid);
  std::optional<std::string> why =
      st ? identity_mismatch(r, *st) : fmt::format("pid {} is gone", r.pid);
  if (!why && pidfd_exited(fd)) why = fmt::format("pid {} has exited", r.pid);
  if (why) {
    ::close(fd);
    return why;
  }
  if (!sandboxes_.contains(r.sandbox_id)) {
    if (!ips_.reserve(r.pod_ip) && !ips_.in_use(r.pod_ip)) {
      spdlog::warn("process engine: adopted pod {}/{} keeps {}, outside the pod range {}",
                   r.pod_namespace, r.pod_name, r.pod_ip, options_.pod_cidr);
    }
    sandboxes_[r.sandbox_id] = SandboxRecord{r.pod_ip, r.pod_uid, r.pod_dir};
  }
  pod_dirs_[r.pod_uid] = r.pod_dir;
  auto c = std::make_shared<Running>();
  c->id = r.container_id;
  c->pod_uid = r.pod_uid;
  c->container_name = r.container_name;
  c->pid = r.pid;
  c->env = r.env;
  c->working_dir = r.working_dir;
  c->adopted = true;
  c->log = r.log_path;
  c->cgroup = cgroups_.find(r.pod_uid, r.container_name);
  c->pidfd = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  containers_[c->id] = c;
  if (!c->log.empty()) log_times_.watch(c->log);
  watch_exit(c);
  out.push_back(RecoveredContainer{r.container_id, r.sandbox_id, r.pod_ip, r.pod_uid, r.pod_name,
                                   r.pod_namespace, r.container_name, r.restart_count,
                                   r.started_at});
  return std::nullopt;
}

void ProcessEngine::kill_all() {
  for (auto& [id, c] : containers_) {
    if (!c->exited) ::kill(-c->pid, SIGKILL);
  }
  // SIGKILL cannot be caught; the wait is bounded only against processes stuck in the kernel.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto pending = containers_;
  while (!pending.empty() && std::chrono::steady_clock::now() < until) {
    for (auto it = pending.begin(); it != pending.end();) {
      auto c = it->second;
      ExitStatus st;
      // An adopted process is not our child: it is gone once its pidfd says so.
      const bool gone =
          c->exited || (c->adopted ? pidfd_exited(c->pidfd->native_handle()) : reap(c->pid, st));
      if (gone) {
        if (!c->exited) {
          c->exited = true;
          if (c->kill_timer) c->kill_timer->cancel();
          if (c->exit_info_timer) c->exit_info_timer->cancel();
          boost::system::error_code ignored;
          c->pidfd->close(ignored);
          drop_record(*c);
          (void)cgroups_.remove(c->cgroup);
          log_times_.unwatch(c->log);
          c->run_end->end();
          ContainerEvent ev{ContainerEvent::Type::kExited,
                            c->id,
                            c->pod_uid,
                            c->container_name,
                            c->adopted ? 137 : st.exit_code,
                            c->adopted ? SIGKILL : st.signal,
                            false,
                            rfc3339_now()};
          emit(std::move(ev));
        }
        containers_.erase(c->id);
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!pending.empty()) spdlog::error("process engine: {} containers did not die", pending.size());
}

}  // namespace skiff::controller::engine
