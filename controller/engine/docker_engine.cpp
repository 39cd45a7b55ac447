#include "controller/engine/docker_engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "controller/engine/docker_log_stream.h"
#include "controller/engine/docker_pause.h"
#include "controller/rfc3339.h"

namespace skiff::controller::engine {
namespace asio = boost::asio;
using boost::beast::http::verb;
using docker::versioned;

namespace {

constexpr size_t kExecOutputMax = 10 * 1024;
constexpr size_t kLogsMax = 16u << 20;
// Of a failing HEALTHCHECK's output, what an Event carries.
constexpr size_t kHealthOutputMax = 1024;
// Blocking calls (logs, on the controller loop) are kept short; removal at exit may take
// longer (dockerd deletes each container's filesystem copy on the vfs driver).
constexpr std::chrono::milliseconds kSyncTimeout{10000};
constexpr std::chrono::milliseconds kRemoveTimeout{30000};

// An error reply from dockerd, with its message verbatim.
ApiError docker_error(const docker::Reply& reply) {
  std::string reason = reply.status == 404   ? "NotFound"
                       : reply.status == 409 ? "Conflict"
                       : reply.status < 500  ? "BadRequest"
                                             : "InternalError";
  return ApiError{reply.status, reason, docker::error_message(reply.status, reply.body), {}};
}

docker::Call make_call(verb method, std::string target, std::string body,
                       std::chrono::milliseconds timeout) {
  docker::Call c;
  c.method = method;
  c.target = std::move(target);
  c.body = std::move(body);
  c.timeout = timeout;
  return c;
}

std::string label(const char* key, const std::string& value) {
  return std::string(key) + "=" + value;
}

}  // namespace

// ---- start-up -------------------------------------------------------------------------

Result<std::string> DockerEngine::prepare(const std::string& socket,
                                          std::chrono::milliseconds timeout) {
  auto version = docker::Client::call_sync(socket, make_call(verb::get, "/version", "", timeout));
  if (!version) {
    return ApiError{503,
                    "ServiceUnavailable",
                    version.error().message + " (is dockerd running? DOCKER_HOST picks the socket)",
                    {}};
  }
  if (version->status != 200) return docker_error(*version);
  auto j = nlohmann::json::parse(version->body, nullptr, false);
  if (!j.is_object() || !j.contains("ApiVersion") || !j["ApiVersion"].is_string()) {
    return ApiError{502, "InternalError", "docker engine: /version did not say its ApiVersion", {}};
  }
  const std::string api = j["ApiVersion"];
  const std::string server = j.value("Version", std::string("?"));
  auto parse = [](const std::string& v) {
    unsigned major = 0, minor = 0;
    if (std::sscanf(v.c_str(), "%u.%u", &major, &minor) != 2) return 0u;
    return major * 1000 + minor;
  };
  if (parse(api) < parse(std::string(docker::kApiVersion.substr(1)))) {
    return ApiError{400,
                    "BadRequest",
                    fmt::format("dockerd {} speaks API {}; skiff needs {} (Docker 20.10 or newer)",
                                server, api, docker::kApiVersion.substr(1)),
                    {}};
  }
  auto image = docker::Client::call_sync(
      socket,
      make_call(verb::get, versioned("/images/" + std::string(docker::kPauseImage) + "/json"), "",
                timeout));
  if (!image) return image.error();
  if (image->status == 404) {
    const std::string rootfs = docker::pause_rootfs_tar();
    if (rootfs.empty()) {
      return ApiError{501,
                      "NotImplemented",
                      "the docker engine's pause image is built for x86-64 hosts only",
                      {}};
    }
    const std::string ref = docker::kPauseImage;
    const auto colon = ref.rfind(':');
    auto call = make_call(
        verb::post,
        versioned("/images/create?fromSrc=-&repo=" + docker::query_escape(ref.substr(0, colon)) +
                  "&tag=" + docker::query_escape(ref.substr(colon + 1))),
        rootfs, timeout);
    call.content_type = "application/x-tar";
    auto imported = docker::Client::call_sync(socket, std::move(call));
    if (!imported) return imported.error();
    if (imported->status != 200) return docker_error(*imported);
    docker::LineSplitter lines;
    std::string error;
    lines.feed(imported->body + "\n", [&error](std::string_view line) {
      auto m = docker::parse_build_line(line);
      if (m && !m->error.empty()) error = m->error;
    });
    if (!error.empty())
      return ApiError{500, "InternalError", "importing the pause image: " + error, {}};
    spdlog::info("docker engine: imported the pause image {}", docker::kPauseImage);
  } else if (image->status != 200) {
    return docker_error(*image);
  }
  return server;
}

DockerEngine::DockerEngine(asio::io_context& io, DockerEngineOptions options)
    : io_(io),
      options_(std::move(options)),
      client_(io, options_.socket_path),
      reconnect_timer_(io),
      reconnect_delay_(options_.reconnect_min) {
  asio::post(io_, [this, alive = alive_] {
    if (*alive) watch_events();
  });
}

DockerEngine::~DockerEngine() {
  *alive_ = false;
  if (events_) events_->cancel();
  kill_all();
}

void DockerEngine::set_event_handler(EventHandler handler) { handler_ = std::move(handler); }

void DockerEngine::emit(ContainerEvent event) {
  asio::post(io_, [this, alive = alive_, event = std::move(event)] {
    if (*alive && handler_) handler_(event);
  });
}

template <class T>
void DockerEngine::post_done(Done<T> done, Result<T> result) {
  asio::post(io_, [alive = alive_, done = std::move(done), result = std::move(result)] {
    if (*alive) done(result);
  });
}

void DockerEngine::call(verb method, std::string path, std::string body, ReplyDone done,
                        std::optional<std::chrono::milliseconds> timeout) {
  client_.call(
      make_call(method, versioned(path), std::move(body), timeout.value_or(options_.call_timeout)),
      [alive = alive_, done = std::move(done)](Result<docker::Reply> r) {
        if (*alive) done(std::move(r));
      });
}

// ---- images and sandboxes -------------------------------------------------------------

void DockerEngine::inspect_image(const std::string& ref, Done<std::optional<ImageConfig>> done) {
  call(verb::get, "/images/" + ref + "/json", "",
       [done = std::move(done), ref](Result<docker::Reply> r) {
         if (!r) return done(r.error());
         auto image = docker::parse_image_inspect(r->status, r->body);
         if (image && *image) (*image)->ref = ref;
         done(std::move(image));
       });
}

void DockerEngine::create_named(const std::string& name, std::string body, Done<std::string> done,
                                bool retried) {
  call(verb::post, "/containers/create?name=" + docker::query_escape(name), body,
       [this, name, body, done = std::move(done), retried](Result<docker::Reply> r) {
         if (!r) return done(r.error());
         if (r->status == 409 && !retried) {
           // A container of that name is left from an earlier run (a crash between create and
           // start, or a daemon killed mid-way): it is ours by name, so it goes.
           spdlog::info("docker engine: removing the stale container {}", name);
           return call(verb::delete_, "/containers/" + name + "?force=1", "",
                       [this, name, body, done](Result<docker::Reply>) {
                         create_named(name, body, done, true);
                       });
         }
         if (r->status != 201) return done(docker_error(*r));
         done(docker::parse_id(r->body));
       });
}

void DockerEngine::start_created(const std::string& id, Done<bool> done) {
  call(verb::post, "/containers/" + id + "/start", "",
       [done = std::move(done)](Result<docker::Reply> r) {
         if (!r) return done(r.error());
         if (r->status != 204 && r->status != 304) return done(docker_error(*r));
         done(true);
       });
}

void DockerEngine::remove_container(const std::string& id) {
  call(verb::delete_, "/containers/" + id + "?force=1", "", [id](Result<docker::Reply> r) {
    if (!r) {
      spdlog::warn("docker engine: removing container {}: {}", id.substr(0, 12), r.error().message);
    } else if (r->status != 204 && r->status != 404) {
      spdlog::warn("docker engine: removing container {}: {}", id.substr(0, 12),
                   docker::error_message(r->status, r->body));
    }
  });
}

void DockerEngine::create_sandbox(const SandboxRequest& request, Done<Sandbox> done) {
  for (const auto& [id, s] : sandboxes_) {
    if (s.pod_uid == request.pod_uid && !s.dead) {
      return post_done<Sandbox>(std::move(done), Sandbox{id, s.ip});
    }
  }
  docker::SandboxSpec spec;
  spec.daemon_id = options_.daemon_id;
  spec.pause_image = docker::kPauseImage;
  spec.network = options_.network;
  spec.pod = request;
  spec.dns_servers = options_.dns_servers;
  if (!options_.cluster_domain.empty()) {
    const std::string& d = options_.cluster_domain;
    spec.dns_search = {request.pod_namespace + ".svc." + d, "svc." + d, d};
    spec.dns_options = options_.dns_options;
  }
  create_named(docker::sandbox_name(request), docker::sandbox_create_body(spec),
               [this, uid = request.pod_uid, done = std::move(done)](Result<std::string> created) {
                 if (!created) return done(created.error());
                 const std::string id = *created;
                 start_created(id, [this, id, uid, done](Result<bool> started) {
                   if (!started) {
                     remove_container(id);
                     return done(started.error());
                   }
                   call(verb::get, "/containers/" + id + "/json", "",
                        [this, id, uid, done](Result<docker::Reply> r) {
                          Result<docker::ContainerInfo> info =
                              !r                 ? Result<docker::ContainerInfo>(r.error())
                              : r->status != 200 ? Result<docker::ContainerInfo>(docker_error(*r))
                                                 : docker::parse_container_inspect(r->body);
                          if (info && info->ip.empty()) {
                            info = ApiError{
                                500,
                                "InternalError",
                                "the pod's sandbox container has no address on docker network " +
                                    options_.network,
                                {}};
                          }
                          if (!info) {
                            remove_container(id);
                            return done(info.error());
                          }
                          sandboxes_[id] = SandboxRecord{info->ip, uid};
                          done(Sandbox{id, info->ip});
                        });
                 });
               });
}

void DockerEngine::forget_pod(const std::string& pod_uid) {
  for (auto it = history_.begin(); it != history_.end();) {
    if (it->first.first != pod_uid) {
      ++it;
      continue;
    }
    for (const auto& id : it->second) {
      auto c = containers_.find(id);
      if (c != containers_.end() && !c->second.exited) continue;  // still running: kept
      remove_container(id);
      containers_.erase(id);
    }
    it = history_.erase(it);
  }
}

void DockerEngine::remove_sandbox(const std::string& sandbox_id) {
  auto it = sandboxes_.find(sandbox_id);
  if (it == sandboxes_.end()) return;
  const std::string uid = it->second.pod_uid;
  sandboxes_.erase(it);
  remove_container(sandbox_id);
  // A dead sandbox replaced by a new one: the pod lives on, and so does its containers'
  // history (`logs -p` shows the run the sandbox's death ended).
  for (const auto& [id, s] : sandboxes_) {
    if (s.pod_uid == uid) return;
  }
  forget_pod(uid);
}

// ---- containers -----------------------------------------------------------------------

void DockerEngine::start_container(const ContainerRequest& request, Done<std::string> done) {
  if (auto s = sandboxes_.find(request.sandbox_id); s == sandboxes_.end() || s->second.dead) {
    return post_done<std::string>(
        std::move(done),
        ApiError{409, "Conflict", "the pod's sandbox container is gone; it must be recreated", {}});
  }
  if (request.argv.empty()) {
    return post_done<std::string>(
        std::move(done), ApiError::bad_request("container " + request.container_name +
                                               ": no command to run (no command in the spec or "
                                               "image)"));
  }
  create_named(
      docker::container_name(request),
      docker::container_create_body(request, options_.daemon_id, request.sandbox_id),
      [this, uid = request.pod_uid, name = request.container_name, restarts = request.restart_count,
       done = std::move(done)](Result<std::string> created) {
        if (!created) return done(created.error());
        const std::string id = *created;
        containers_[id] = Container{id, uid, name, restarts};
        history_[{uid, name}].push_back(id);
        start_created(id, [this, id, uid, name, done](Result<bool> started) {
          auto it = containers_.find(id);
          if (it == containers_.end()) return done(ApiError{409, "Conflict", "removed", {}});
          if (!started) {
            // Docker's reason (e.g. the executable is not in the image) reaches the user as is.
            // It is removed before the kubelet hears, so a retry can reuse the name.
            containers_.erase(it);
            auto& h = history_[{uid, name}];
            h.erase(std::remove(h.begin(), h.end(), id), h.end());
            return call(verb::delete_, "/containers/" + id + "?force=1", "",
                        [done, error = started.error()](Result<docker::Reply>) { done(error); });
          }
          it->second.starting = false;
          const bool died = it->second.died_while_starting;
          const bool health = it->second.health_while_starting;
          done(id);
          emit(ContainerEvent{ContainerEvent::Type::kStarted, id, uid, name, 0, 0, false,
                              rfc3339_now()});
          prune_history(uid, name);
          if (died) return on_died(id, std::nullopt);
          if (health) on_health(id, std::nullopt);
        });
      });
}

void DockerEngine::prune_history(const std::string& pod_uid, const std::string& name) {
  auto& ids = history_[{pod_uid, name}];
  while (ids.size() > 2) {
    auto c = containers_.find(ids.front());
    if (c != containers_.end() && !c->second.exited) break;  // not yet reported: kept
    remove_container(ids.front());
    if (c != containers_.end()) containers_.erase(c);
    ids.erase(ids.begin());
  }
}

void DockerEngine::on_died(const std::string& id, std::optional<int> exit_code) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return on_sandbox_died(id);
  Container& c = it->second;
  if (c.exited || c.reporting) return;
  if (c.starting) {
    c.died_while_starting = true;
    return;
  }
  c.reporting = true;
  call(verb::get, "/containers/" + id + "/json", "",
       [this, id, exit_code](Result<docker::Reply> r) {
         auto it = containers_.find(id);
         if (it == containers_.end()) return;
         Container& c = it->second;
         c.reporting = false;
         std::optional<docker::ContainerInfo> info;
         if (r && r->status == 200) {
           auto parsed = docker::parse_container_inspect(r->body);
           if (parsed) info = std::move(*parsed);
         }
         if (info && (info->running || info->state == "created")) return;  // not dead after all
         ContainerEvent ev;
         ev.type = ContainerEvent::Type::kExited;
         ev.container_id = id;
         ev.pod_uid = c.pod_uid;
         ev.container_name = c.name;
         // A container removed behind skiff's back has no exit status left: 137, as if killed.
         ev.exit_code = info ? info->exit_code : exit_code.value_or(137);
         ev.oom_killed = c.oom || (info && info->oom_killed);
         ev.time = info && !info->finished_at.empty() ? info->finished_at : rfc3339_now();
         c.exited = true;
         emit(std::move(ev));
       });
}

void DockerEngine::on_sandbox_died(const std::string& id) {
  auto s = sandboxes_.find(id);
  if (s == sandboxes_.end() || s->second.dead) return;
  s->second.dead = true;
  spdlog::warn(
      "docker engine: the sandbox container {} of pod uid {} died: its containers lost their "
      "network",
      id.substr(0, 12), s->second.pod_uid);
  ContainerEvent ev;
  ev.type = ContainerEvent::Type::kSandboxExited;
  ev.container_id = id;
  ev.pod_uid = s->second.pod_uid;
  ev.time = rfc3339_now();
  emit(std::move(ev));
}

void DockerEngine::on_health(const std::string& id, std::optional<bool> said) {
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.exited) return;
  if (it->second.starting) {
    // The kubelet does not know this id yet; asked again once the start is confirmed.
    it->second.health_while_starting = true;
    return;
  }
  call(verb::get, "/containers/" + id + "/json", "", [this, id, said](Result<docker::Reply> r) {
    std::optional<docker::ContainerInfo> info;
    if (r && r->status == 200) {
      auto parsed = docker::parse_container_inspect(r->body);
      if (parsed) {
        info = std::move(*parsed);
      } else {
        spdlog::warn("docker engine: {}", parsed.error().message);
      }
    }
    if (info && !info->running) return;  // its death is reported on its own
    std::string status = info ? info->health : std::string();
    if (status != "healthy" && status != "unhealthy") {
      if (!said) return;  // no verdict yet ("starting") or no HEALTHCHECK
      status = *said ? "healthy" : "unhealthy";
    }
    report_health(id, status, info ? info->health_output : std::string());
  });
}

void DockerEngine::report_health(const std::string& id, const std::string& status,
                                 const std::string& output) {
  auto it = containers_.find(id);
  if (it == containers_.end() || it->second.exited || it->second.starting) return;
  Container& c = it->second;
  if (c.health == status) return;
  c.health = status;
  ContainerEvent ev;
  ev.type = ContainerEvent::Type::kHealth;
  ev.container_id = id;
  ev.pod_uid = c.pod_uid;
  ev.container_name = c.name;
  ev.healthy = status == "healthy";
  ev.message = output.substr(0, kHealthOutputMax);
  while (!ev.message.empty() && (ev.message.back() == '\n' || ev.message.back() == '\r')) {
    ev.message.pop_back();
  }
  ev.time = rfc3339_now();
  emit(std::move(ev));
}

void DockerEngine::stop_container(const std::string& container_id, std::chrono::seconds grace) {
  auto it = containers_.find(container_id);
  if (it == containers_.end() || it->second.exited) return;
  // Docker sends the image's stop signal (SIGTERM), then SIGKILL after t seconds. The exit is
  // confirmed from the reply too, so a stop never waits on the event stream alone.
  auto confirm = [this, id = container_id](Result<docker::Reply> r) {
    if (r && r->status >= 400 && r->status != 404 && r->status != 409) {
      spdlog::warn("docker engine: stopping {}: {}", id.substr(0, 12),
                   docker::error_message(r->status, r->body));
    }
    on_died(id, std::nullopt);
  };
  if (grace.count() <= 0) {
    return call(verb::post, "/containers/" + container_id + "/kill?signal=KILL", "", confirm);
  }
  call(verb::post, fmt::format("/containers/{}/stop?t={}", container_id, grace.count()), "",
       confirm,
       std::chrono::duration_cast<std::chrono::milliseconds>(grace) + options_.call_timeout);
}

void DockerEngine::exec(const std::string& container_id, const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout, std::function<void(ExecResult)> done) {
  auto it = containers_.find(container_id);
  if (it == containers_.end() || it->second.exited || it->second.starting) {
    return asio::post(io_, [alive = alive_, done] {
      if (*alive) done(ExecResult{-1, "container is not running"});
    });
  }
  if (argv.empty()) {
    return asio::post(io_, [alive = alive_, done] {
      if (*alive) done(ExecResult{-1, "exec: empty command"});
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [deadline] {
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now()));
  };
  call(
      verb::post, "/containers/" + container_id + "/exec", docker::exec_create_body(argv),
      [this, done, left](Result<docker::Reply> r) {
        if (!r) return done(ExecResult{-1, r.error().message});
        if (r->status != 201)
          return done(ExecResult{-1, docker::error_message(r->status, r->body)});
        auto exec_id = docker::parse_id(r->body);
        if (!exec_id) return done(ExecResult{-1, exec_id.error().message});
        // The attached output of a non-TTY exec is framed stdout/stderr until the process ends.
        auto start = make_call(verb::post, versioned("/exec/" + *exec_id + "/start"),
                               R"({"Detach":false,"Tty":false})", left());
        start.body_limit = 1u << 20;
        client_.call(std::move(start),
                     [this, alive = alive_, done, left, id = *exec_id](Result<docker::Reply> out) {
                       if (!*alive) return;
                       if (!out) return done(ExecResult{-1, out.error().message});
                       if (out->status >= 300) {
                         return done(ExecResult{-1, docker::error_message(out->status, out->body)});
                       }
                       std::string text;
                       docker::StreamDemuxer demux(kExecOutputMax);
                       demux.feed(out->body, text);
                       this->call(
                           verb::get, "/exec/" + id + "/json", "",
                           [done, text](Result<docker::Reply> r) {
                             int code = -1;
                             if (r && r->status == 200) {
                               auto parsed = docker::parse_exec_exit_code(r->body);
                               if (parsed) code = *parsed;
                             }
                             done(ExecResult{code, text});
                           },
                           left());
                     });
      },
      left());
}

Result<std::vector<std::string>> DockerEngine::run_ids(const std::string& pod_uid,
                                                       const std::string& container_name) {
  std::vector<std::string> ids;
  if (auto h = history_.find({pod_uid, container_name}); h != history_.end()) ids = h->second;
  if (ids.empty()) {
    // A pod this engine did not start (e.g. after a daemon restart): ask dockerd by label.
    auto call = make_call(verb::get,
                          versioned("/containers/json?all=1&filters=" +
                                    docker::query_escape(docker::filters(
                                        {label(docker::kLabelDaemon, options_.daemon_id),
                                         label(docker::kLabelPodUid, pod_uid),
                                         label(docker::kLabelContainerName, container_name)}))),
                          "", kSyncTimeout);
    auto r = docker::Client::call_sync(options_.socket_path, std::move(call));
    if (!r) return r.error();
    if (r->status != 200) return docker_error(*r);
    auto list = docker::parse_container_list(r->body);
    if (!list) return list.error();
    auto restarts = [](const docker::ContainerInfo& c) {
      auto it = c.labels.find(docker::kLabelRestartCount);
      return it == c.labels.end() ? 0 : std::atoi(it->second.c_str());
    };
    std::sort(list->begin(), list->end(),
              [&](const auto& a, const auto& b) { return restarts(a) < restarts(b); });
    for (const auto& c : *list) ids.push_back(c.id);
  }
  return ids;
}

Result<std::string> DockerEngine::logs(const std::string& pod_uid,
                                       const std::string& container_name, bool previous) {
  auto found = run_ids(pod_uid, container_name);
  if (!found) return found.error();
  const auto& ids = *found;
  const size_t want = previous ? 2 : 1;
  if (ids.size() < want) {
    return ApiError::not_found(std::string(previous ? "previous " : "") + "log of container \"" +
                               container_name + "\"");
  }
  auto call = make_call(
      verb::get,
      versioned("/containers/" + ids[ids.size() - want] + "/logs?stdout=1&stderr=1&tail=100000"),
      "", kSyncTimeout);
  call.body_limit = kLogsMax * 2;
  auto r = docker::Client::call_sync(options_.socket_path, std::move(call));
  if (!r) return r.error();
  if (r->status != 200) return docker_error(*r);
  std::string text;
  docker::StreamDemuxer demux(kLogsMax);
  demux.feed(r->body, text);
  return text;
}

Result<std::unique_ptr<LogStream>> DockerEngine::open_log(const std::string& pod_uid,
                                                          const std::string& container_name,
                                                          const LogOptions& options) {
  auto ids = run_ids(pod_uid, container_name);
  if (!ids) return ids.error();
  const size_t want = options.previous ? 2 : 1;
  if (ids->size() < want) {
    return ApiError::not_found(std::string(options.previous ? "previous " : "") +
                               "log of container \"" + container_name + "\"");
  }
  return open_docker_log(io_, client_, (*ids)[ids->size() - want], options);
}

// ---- adoption and exit ----------------------------------------------------------------

void DockerEngine::recover(Done<std::vector<RecoveredContainer>> done) {
  call(verb::get,
       "/containers/json?all=1&filters=" +
           docker::query_escape(docker::filters({label(docker::kLabelDaemon, options_.daemon_id)})),
       "", [this, done = std::move(done)](Result<docker::Reply> r) {
         if (!r) return done(r.error());
         if (r->status != 200) return done(docker_error(*r));
         auto list = docker::parse_container_list(r->body);
         if (!list) return done(list.error());
         auto get = [](const docker::ContainerInfo& c, const char* key) {
           auto it = c.labels.find(key);
           return it == c.labels.end() ? std::string() : it->second;
         };
         // Sandboxes first: a container is adopted only with its pod's running sandbox.
         std::map<std::string, std::string> sandbox_of;  // pod uid -> sandbox id
         for (const auto& c : *list) {
           if (get(c, docker::kLabelRole) != docker::kRoleSandbox) continue;
           if (c.running && !c.ip.empty() && !sandbox_of.contains(get(c, docker::kLabelPodUid))) {
             sandboxes_[c.id] = SandboxRecord{c.ip, get(c, docker::kLabelPodUid)};
             sandbox_of[get(c, docker::kLabelPodUid)] = c.id;
           } else {
             remove_container(c.id);
           }
         }
         std::vector<docker::ContainerInfo> mine;
         for (const auto& c : *list) {
           if (get(c, docker::kLabelRole) == docker::kRoleContainer) mine.push_back(c);
         }
         auto restarts = [&](const docker::ContainerInfo& c) {
           return std::atoi(get(c, docker::kLabelRestartCount).c_str());
         };
         std::sort(mine.begin(), mine.end(), [&](const auto& a, const auto& b) {
           return restarts(a) < restarts(b) ||
                  (restarts(a) == restarts(b) && a.created < b.created);
         });
         std::vector<RecoveredContainer> out;
         for (const auto& c : mine) {
           const std::string uid = get(c, docker::kLabelPodUid);
           const std::string name = get(c, docker::kLabelContainerName);
           auto sandbox = sandbox_of.find(uid);
           if (sandbox == sandbox_of.end()) {
             remove_container(c.id);  // its network is gone: nothing to adopt
             continue;
           }
           Container record{c.id, uid, name, restarts(c)};
           record.starting = false;
           record.exited = !c.running;  // an exited one is kept only for `logs -p`
           if (c.health == "healthy" || c.health == "unhealthy") record.health = c.health;
           containers_[c.id] = record;
           history_[{uid, name}].push_back(c.id);
           if (!c.running) continue;
           RecoveredContainer rc;
           rc.container_id = c.id;
           rc.sandbox_id = sandbox->second;
           rc.pod_ip = sandboxes_[sandbox->second].ip;
           rc.pod_uid = uid;
           rc.pod_name = get(c, docker::kLabelPodName);
           rc.pod_namespace = get(c, docker::kLabelPodNamespace);
           rc.container_name = name;
           rc.restart_count = restarts(c);
           rc.unhealthy = c.health == "unhealthy";
           rc.started_at =
               to_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(c.created)));
           out.push_back(std::move(rc));
         }
         for (const auto& [key, ids] : history_) prune_history(key.first, key.second);
         spdlog::info("docker engine: adopted {} running containers of {} pods", out.size(),
                      sandbox_of.size());
         done(std::move(out));
       });
}

void DockerEngine::kill_all() {
  std::set<std::string> ids;
  for (const auto& [id, c] : containers_) ids.insert(id);
  for (const auto& [id, s] : sandboxes_) ids.insert(id);
  if (ids.empty()) return;
  // Blocking on a private loop: this runs on exit paths where the controller loop has stopped.
  asio::io_context io;
  docker::Client client(io, options_.socket_path);
  size_t failed = 0;
  for (const auto& id : ids) {
    client.call(
        make_call(verb::delete_, versioned("/containers/" + id + "?force=1"), "", kRemoveTimeout),
        [&failed](Result<docker::Reply> r) {
          if (!r || (r->status != 204 && r->status != 404)) ++failed;
        });
  }
  io.run();
  for (auto& [id, c] : containers_) {
    if (c.exited || c.starting) continue;
    c.exited = true;
    emit(ContainerEvent{ContainerEvent::Type::kExited, id, c.pod_uid, c.name, 137, 9, false,
                        rfc3339_now()});
  }
  containers_.clear();
  sandboxes_.clear();
  history_.clear();
  if (failed > 0) spdlog::error("docker engine: {} containers could not be removed", failed);
}

}  // namespace skiff::controller::engine
