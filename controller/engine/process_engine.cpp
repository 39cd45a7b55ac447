#include "controller/engine/process_engine.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "controller/engine/process_spawn.h"
#include "controller/rfc3339.h"

namespace skiff::controller::engine {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr size_t kExecOutputMax = 10 * 1024;

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
      ips_(make_allocator(options_.pod_cidr)) {}

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
  sandboxes_.erase(it);
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
  auto spawned = spawn_process(SpawnSpec{request.argv, request.env, working_dir, log_fd});
  ::close(log_fd);
  if (!spawned) return fail(spawned.error());

  auto c = std::make_shared<Running>();
  c->id = request.pod_uid.substr(0, 8) + "-" + request.container_name + "-" +
          std::to_string(request.restart_count) + "-" + std::to_string(spawned->pid) + "-" +
          std::to_string(next_id_++);
  c->pod_uid = request.pod_uid;
  c->container_name = request.container_name;
  c->pid = spawned->pid;
  c->env = request.env;
  c->working_dir = working_dir;
  c->pidfd = std::make_unique<asio::posix::stream_descriptor>(io_, spawned->pidfd);
  containers_[c->id] = c;
  watch_exit(c);

  asio::post(io_, [alive = alive_, d = std::move(done), id = c->id] {
    if (*alive) d(id);
  });
  emit(ContainerEvent{ContainerEvent::Type::kStarted, c->id, c->pod_uid, c->container_name, 0, 0,
                      false, rfc3339_now()});
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
  // The main process is a zombie now, so its pid (= the group id) cannot be reused yet: the
  // group kill cannot hit a stranger.
  ::kill(-c->pid, SIGKILL);
  ExitStatus st;
  if (!reap(c->pid, st)) return watch_exit(c);
  c->exited = true;
  if (c->kill_timer) c->kill_timer->cancel();
  boost::system::error_code ignored;
  c->pidfd->close(ignored);
  containers_.erase(c->id);
  emit(ContainerEvent{ContainerEvent::Type::kExited, c->id, c->pod_uid, c->container_name,
                      st.exit_code, st.signal, false, rfc3339_now()});
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
  auto spawned = spawn_process(SpawnSpec{argv, it->second->env, it->second->working_dir, fds[1]});
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

pid_t ProcessEngine::pid_of(const std::string& container_id) const {
  auto it = containers_.find(container_id);
  return it == containers_.end() || it->second->exited ? -1 : it->second->pid;
}

void ProcessEngine::recover(Done<std::vector<RecoveredContainer>> done) {
  // No container records survive a daemon restart yet (#8 adds them); nothing to take back.
  boost::asio::post(io_, [done = std::move(done)] { done(std::vector<RecoveredContainer>{}); });
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
      if (c->exited || reap(c->pid, st)) {
        if (!c->exited) {
          c->exited = true;
          if (c->kill_timer) c->kill_timer->cancel();
          boost::system::error_code ignored;
          c->pidfd->close(ignored);
          emit(ContainerEvent{ContainerEvent::Type::kExited, c->id, c->pod_uid, c->container_name,
                              st.exit_code, st.signal, false, rfc3339_now()});
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
