#include "controller/kubelet.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "controller/backoff.h"
#include "controller/container_command.h"
#include "controller/env_resolver.h"
#include "controller/event_recorder.h"
#include "controller/prober.h"
#include "controller/rfc3339.h"
#include "controller/scheduler_fit.h"
#include "controller/volume_manager.h"

namespace skiff::controller {
namespace asio = boost::asio;
using config::Pod;
using engine::ContainerEvent;
using SteadyClock = std::chrono::steady_clock;

namespace {

// How often an absent image is looked for again (so `skiff build` afterwards lets it start).
constexpr std::chrono::seconds kImageRetry{2};
// A volume that failed to set up is tried again at each container start retry (kImageRetry);
// its FailedMount event is recorded again at most this often (the recorder counts repeats).
constexpr std::chrono::seconds kFailedMountRepeat{10};
// A container in CreateContainerConfigError is retried when a ConfigMap or Secret of its
// namespace changes, and at least this often (kubelet's sync loop).
constexpr std::chrono::seconds kConfigRetry{10};
// Port readiness re-check once the ports answered.
constexpr std::chrono::seconds kPortRecheck{3};
// Grace for a container adopted after a restart whose pod is gone (its own grace period died
// with the pod object): SIGTERM, then SIGKILL.
constexpr std::chrono::seconds kOrphanGrace{10};

enum class Run { kWaiting, kStarting, kRunning, kTerminated };

struct ContainerRuntime {
  config::Container spec;
  Run run = Run::kWaiting;
  config::ContainerStateWaiting waiting{"ContainerCreating", ""};
  std::string id;  // the engine's id while starting/running
  std::string last_id;
  std::string started_at;
  bool started_once = false;
  bool started = false;  // the startup probe passed (or there is none)
  bool ready = false;
  // The image's HEALTHCHECK says unhealthy (engine kHealth events): not Ready, as with a
  // failing readiness probe, until it says healthy again.
  bool unhealthy = false;
  // Bumped by each start attempt and when the sandbox dies: an image inspection still in
  // flight for an older attempt is dropped.
  uint64_t generation = 0;
  int restart_count = 0;
  std::string image_id;
  std::optional<config::ContainerStateTerminated> last_terminated;
  std::optional<config::ContainerStateTerminated> terminated;  // final: it will not restart
  std::unique_ptr<Prober> prober;             // readiness (a probe, or the declared ports)
  std::unique_ptr<Prober> liveness;           // restarts the container when it fails
  std::unique_ptr<Prober> startup;            // gates liveness and readiness until it passes
  std::unique_ptr<asio::steady_timer> timer;  // image retry or back-off restart
};

struct PodWorker {
  std::string uid, ns, name;
  Pod pod;
  std::string sandbox_id;
  std::string pod_ip;
  bool sandbox_pending = false;
  // The sandbox died: the containers are being killed, then the pod starts again in a new
  // sandbox (kubelet's "SandboxChanged").
  bool sandbox_lost = false;
  std::unique_ptr<asio::steady_timer> sandbox_timer;  // retry of a failed sandbox creation
  std::string start_time;
  std::vector<std::unique_ptr<ContainerRuntime>> containers;
  bool terminating = false;  // deletionTimestamp seen (or removed outright)
  bool removed = false;      // already gone from the store
  bool stopping = false;     // containers were told to stop
  bool finished = false;
  std::unique_ptr<asio::steady_timer> unpublish_timer;
  // Volumes: set up before the first container starts (volume_manager.h); a failure is
  // retried by each container's start and reported once per kFailedMountRepeat.
  bool volumes_ready = false;
  PodMounts mounts;
  std::optional<SteadyClock::time_point> volume_failed_at;
  std::string volume_error;
};

bool has_process(const ContainerRuntime& c) {
  return c.run == Run::kStarting || c.run == Run::kRunning;
}

bool routed(const ServiceTablePtr& table, const std::string& ip) {
  if (!table || ip.empty()) return false;
  for (const auto& s : table->services) {
    for (const auto& p : s.ports) {
      for (const auto& e : p.endpoints) {
        if (e.ip == ip) return true;
      }
    }
    for (const auto& a : s.ready_addresses) {
      if (a.ip == ip) return true;
    }
  }
  return false;
}

std::string pod_ref(const PodWorker& w) { return w.ns + "/" + w.name; }

std::string default_pull_policy(const std::string& image) {
  auto slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  auto colon = last.find(':');
  bool latest = colon == std::string::npos || last.substr(colon + 1) == "latest";
  return latest ? "Always" : "IfNotPresent";
}

std::optional<uint16_t> resolve_port(const config::IntOrString& port, const config::Container& c) {
  if (port.is_int) {
    if (port.int_value > 0 && port.int_value <= 65535) return port.int_value;
    return std::nullopt;
  }
  for (const auto& p : c.ports) {
    if (p.name == port.str_value && p.container_port > 0 && p.container_port <= 65535) {
      return p.container_port;
    }
  }
  return std::nullopt;
}

}  // namespace

class Kubelet::Impl {
 public:
  Impl(asio::io_context& io, Store& store, engine::Engine& engine, const ServiceTableSource& table,
       KubeletOptions options)
      : io_(io),
        store_(store),
        engine_(engine),
        table_(table),
        options_(options),
        backoff_(options.backoff_base, options.backoff_max),
        volumes_(io, store, options.state_dir) {}

  ~Impl() {
    *alive_ = false;
    if (watch_id_) store_.unwatch(watch_id_);
    for (uint64_t id : config_watch_ids_) store_.unwatch(id);
  }

  void start() {
    volumes_.start();
    engine_.set_event_handler([this, alive = alive_](const ContainerEvent& ev) {
      if (*alive) on_engine_event(ev);
    });
    watch_id_ = store_.watch(Kind::kPod, [this, alive = alive_](const WatchEvent& ev) {
      // The store must not be mutated from inside its callback: act on the loop.
      asio::post(io_, [this, alive, ev] {
        if (*alive) on_watch(ev);
      });
    });
    for (Kind kind : {Kind::kConfigMap, Kind::kSecret}) {
      config_watch_ids_.push_back(store_.watch(kind, [this, alive = alive_](const WatchEvent& ev) {
        asio::post(io_, [this, alive, ns = config::meta(*ev.object).namespace_] {
          if (*alive) on_config_change(ns);
        });
      }));
    }
    // The table is subscribed once for the kubelet's life; publications after the kubelet
    // is gone are dropped by the alive flag.
    table_.subscribe([this, alive = alive_](const ServiceTablePtr&) {
      if (!*alive) return;
      asio::post(io_, [this, alive] {
        if (*alive) on_table();
      });
    });
    table_.watch_programmed([this, alive = alive_] {
      if (!*alive) return;
      asio::post(io_, [this, alive] {
        if (*alive) on_table();
      });
    });
    // Containers an earlier daemon left running are taken back before any pod is synced,
    // so none of them is started a second time.
    engine_.recover(
        [this, alive = alive_](Result<std::vector<engine::RecoveredContainer>> recovered) {
          if (*alive) on_recovered(std::move(recovered));
        });
  }

  void shutdown(std::function<void()> done) {
    shutting_down_ = true;
    shutdown_done_ = std::move(done);
    if (watch_id_) store_.unwatch(watch_id_);
    watch_id_ = 0;
    for (auto& [uid, w] : workers_) {
      if (w->unpublish_timer) w->unpublish_timer->cancel();
      auto grace = std::chrono::seconds(w->pod.spec.termination_grace_period_seconds);
      for (auto& c : w->containers) {
        quiesce(*c);
        if (c->run == Run::kRunning) {
          spdlog::info("kubelet: killing container {} of pod {} (shutdown, grace {}s)",
                       c->spec.name, pod_ref(*w), grace.count());
          engine_.stop_container(c->id, grace);
        }
      }
    }
    check_shutdown();
  }

 private:
  // ---- store and engine events ---------------------------------------------------------

  void on_recovered(Result<std::vector<engine::RecoveredContainer>> recovered) {
    if (!recovered) {
      spdlog::warn("kubelet: taking back running containers failed: {}", recovered.error().message);
    } else {
      std::map<std::string, const Pod*> pods;  // by uid
      const auto all = store_.list(Kind::kPod);
      for (const auto& obj : all) {
        if (const Pod* p = as<Pod>(obj)) pods[p->metadata.uid] = p;
      }
      for (auto& rc : *recovered) {
        auto it = pods.find(rc.pod_uid);
        const Pod* pod = it == pods.end() ? nullptr : it->second;
        bool wanted = pod && pod->spec.node_name == options_.node_name &&
                      std::any_of(pod->spec.containers.begin(), pod->spec.containers.end(),
                                  [&](const auto& c) { return c.name == rc.container_name; });
        if (wanted) {
          adoptable_[rc.pod_uid].push_back(std::move(rc));
          continue;
        }
        spdlog::info("kubelet: container {} of pod {}/{} has no pod any more: stopping it",
                     rc.container_name, rc.pod_namespace, rc.pod_name);
        orphans_[rc.container_id] = rc.sandbox_id;
        engine_.stop_container(rc.container_id, kOrphanGrace);
      }
    }
    recovered_ = true;
    {
      // Volumes of pods deleted while no daemon ran.
      std::set<std::string> live;
      for (const auto& obj : store_.list(Kind::kPod)) live.insert(config::meta(*obj).uid);
      volumes_.tear_down_except(live);
    }
    if (shutting_down_) return;
    for (const auto& obj : store_.list(Kind::kPod)) {
      on_watch(WatchEvent{WatchEvent::Type::kAdded, obj, nullptr});
    }
    // Adoptable containers of pods that were not synced (e.g. bound elsewhere meanwhile).
    for (auto& [uid, list] : adoptable_) {
      for (const auto& rc : list) {
        orphans_[rc.container_id] = rc.sandbox_id;
        engine_.stop_container(rc.container_id, kOrphanGrace);
      }
    }
    adoptable_.clear();
  }

  // An orphan ended: its sandbox goes once no other orphan holds it.
  bool on_orphan_exit(const ContainerEvent& ev) {
    auto it = orphans_.find(ev.container_id);
    if (it == orphans_.end() || ev.type != ContainerEvent::Type::kExited) return false;
    const std::string sandbox = it->second;
    orphans_.erase(it);
    for (const auto& [id, sb] : orphans_) {
      if (sb == sandbox) return true;
    }
    for (const auto& [uid, w] : workers_) {
      if (w->sandbox_id == sandbox) return true;
    }
    engine_.remove_sandbox(sandbox);
    return true;
  }

  void on_watch(const WatchEvent& ev) {
    if (shutting_down_ || !recovered_) return;  // the first sync follows recovery
    const Pod* seen = as<Pod>(ev.object);
    if (!seen) return;
    if (ev.type == WatchEvent::Type::kDeleted) {
      if (auto it = workers_.find(seen->metadata.uid); it != workers_.end()) {
        on_removed(*it->second);
      }
      return;
    }
    // Act on the newest state, not on the (possibly stale) event.
    auto current = store_.get(Kind::kPod, seen->metadata.namespace_, seen->metadata.name);
    const Pod* pod = as<Pod>(current);
    if (!pod || pod->metadata.uid != seen->metadata.uid) return;
    sync_pod(*pod);
  }

  void sync_pod(const Pod& pod) {
    if (pod.spec.node_name.empty()) {
      // Normally the scheduler's (scheduler.h): it binds the pod once it fits.
      if (options_.bind_unscheduled) bind(pod);
      return;  // a binding comes back as an update event
    }
    if (pod.spec.node_name != options_.node_name) return;
    auto it = workers_.find(pod.metadata.uid);
    if (it == workers_.end()) {
      if (auto adopt = adoptable_.find(pod.metadata.uid); adopt != adoptable_.end()) {
        auto containers = std::move(adopt->second);
        adoptable_.erase(adopt);
        it = workers_.emplace(pod.metadata.uid, std::make_unique<PodWorker>()).first;
        return begin_adopted(*it->second, pod, containers);
      }
      if (pod.metadata.deletion_timestamp) {
        // Marked before we ever ran it: nothing to stop.
        (void)store_.remove(Kind::kPod, pod.metadata.namespace_, pod.metadata.name, 0);
        return;
      }
      it = workers_.emplace(pod.metadata.uid, std::make_unique<PodWorker>()).first;
      begin(*it->second, pod);
      return;
    }
    PodWorker& w = *it->second;
    w.pod = pod;
    if (pod.metadata.deletion_timestamp && !w.terminating) begin_termination(w);
  }

  // Standalone, without a scheduler: the pod goes to this node, its requests unchecked.
  void bind(const Pod& pod) {
    Pod bound = pod;
    bound.spec.node_name = options_.node_name;
    auto r = store_.update(bound);
    if (!r) {
      spdlog::warn("kubelet: binding pod {}: {}", pod.metadata.name, r.error().message);
    } else if (options_.events) {
      options_.events->normal(event_target(pod), kSchedulerComponent, "Scheduled",
                              "Successfully assigned " + pod.metadata.namespace_ + "/" +
                                  pod.metadata.name + " to " + options_.node_name);
    }
  }

  void on_engine_event(const ContainerEvent& ev) {
    if (on_orphan_exit(ev)) return;
    auto it = workers_.find(ev.pod_uid);
    if (it == workers_.end()) return;
    PodWorker& w = *it->second;
    if (ev.type == ContainerEvent::Type::kSandboxExited) {
      if (ev.container_id == w.sandbox_id) on_sandbox_lost(w);
      return;
    }
    for (auto& c : w.containers) {
      if (c->spec.name != ev.container_name || c->id != ev.container_id) continue;
      if (ev.type == ContainerEvent::Type::kExited) on_exit(w, *c, ev);
      if (ev.type == ContainerEvent::Type::kHealth) on_health(w, *c, ev);
      return;
    }
  }

  // Whether new connections may still reach ip: the latest snapshot routes to it, or a data
  // plane has not yet programmed that snapshot.
  bool still_served(const std::string& ip) const {
    const auto current = table_.current();
    return routed(current, ip) || table_.programmed_version() < current->version;
  }

  void on_table() {
    for (auto& [uid, w] : workers_) {
      if (w->terminating && !w->stopping && !still_served(w->pod_ip)) {
        stop_containers(*w);
      }
    }
  }

  // ---- pod start ------------------------------------------------------------------------

  // The worker's identity and containers, with what the stored status remembers of earlier
  // runs (a daemon restart): restart counts and last states carry on.
  void init_worker(PodWorker& w, const Pod& pod) {
    w.uid = pod.metadata.uid;
    w.ns = pod.metadata.namespace_;
    w.name = pod.metadata.name;
    w.pod = pod;
    w.start_time = pod.status.start_time.empty() ? rfc3339_now() : pod.status.start_time;
    for (const auto& spec : pod.spec.containers) {
      auto c = std::make_unique<ContainerRuntime>();
      c->spec = spec;
      for (const auto& cs : pod.status.container_statuses) {
        if (cs.name != spec.name) continue;
        c->restart_count = cs.restart_count;
        c->image_id = cs.image_id;
        c->last_terminated = cs.last_state.terminated;
        if (cs.state.running) {
          // It ran when the daemon stopped and was not taken back: that run is over, and
          // this is a restart, as after a node reboot.
          ++c->restart_count;
          config::ContainerStateTerminated gone;
          gone.exit_code = 255;
          gone.reason = "Unknown";
          gone.message = "the container was not running any more when the daemon restarted";
          gone.started_at = cs.state.running->started_at;
          gone.finished_at = rfc3339_now();
          gone.container_id = cs.container_id;
          c->last_terminated = gone;
        }
      }
      w.containers.push_back(std::move(c));
    }
  }

  // A pod whose containers (some or all) an earlier daemon started and the engine took back:
  // they keep their ids, processes, restart counts and start times; the rest start anew in
  // the same sandbox. Readiness starts from what the stored status said and is probed again.
  void begin_adopted(PodWorker& w, const Pod& pod,
                     const std::vector<engine::RecoveredContainer>& adopted) {
    init_worker(w, pod);
    // The volumes are there from the earlier daemon: this finds them again (and keeps
    // configMap / secret volumes in step from now on).
    if (auto r = volumes_.set_up(pod)) {
      w.volumes_ready = true;
      w.mounts = std::move(*r);
    }
    w.sandbox_id = adopted.front().sandbox_id;
    w.pod_ip = adopted.front().pod_ip;
    std::vector<size_t> fresh;
    for (size_t i = 0; i < w.containers.size(); ++i) {
      ContainerRuntime& c = *w.containers[i];
      auto rc = std::find_if(adopted.begin(), adopted.end(),
                             [&](const auto& r) { return r.container_name == c.spec.name; });
      if (rc == adopted.end()) {
        fresh.push_back(i);
        continue;
      }
      bool was_ready = false, was_started = false;
      for (const auto& cs : pod.status.container_statuses) {
        if (cs.name != c.spec.name) continue;
        c.last_terminated = cs.last_state.terminated;
        was_ready = cs.ready && cs.state.running.has_value();
        was_started = cs.started && cs.state.running.has_value();
      }
      c.id = c.last_id = rc->container_id;
      c.run = Run::kRunning;
      c.started_at = rc->started_at;
      c.started_once = true;
      c.started = was_started && c.spec.startup_probe.has_value();
      c.restart_count = rc->restart_count;
      c.unhealthy = rc->unhealthy;
      spdlog::info("kubelet: pod {} container {} adopted (restart {}, ip {})", pod_ref(w),
                   c.spec.name, c.restart_count, w.pod_ip);
      start_probes(w, i, was_ready);
    }
    publish(w);
    if (pod.metadata.deletion_timestamp) return begin_termination(w);
    for (size_t i : fresh) start_container(w, i);
  }

  void begin(PodWorker& w, const Pod& pod) {
    init_worker(w, pod);
    create_sandbox(w);
  }

  // Creates the pod's sandbox, at its start and again after the sandbox died (sandbox_lost),
  // then starts the containers that wait. A failure (dockerd busy, briefly away, or saying
  // no) is an event and is retried: the containers wait meanwhile.
  void create_sandbox(PodWorker& w) {
    w.sandbox_pending = true;
    engine::SandboxRequest req{w.uid, w.name, w.ns,
                               w.pod.spec.hostname.empty() ? w.name : w.pod.spec.hostname};
    engine_.create_sandbox(req, [this, alive = alive_, uid = w.uid](Result<engine::Sandbox> r) {
      if (!*alive) return;
      PodWorker* w = worker(uid);
      if (!w) {
        if (r) engine_.remove_sandbox(r->id);
        return;
      }
      w->sandbox_pending = false;
      if (!r) return on_sandbox_failed(*w, r.error().message);
      const std::string old = w->sandbox_id;  // a dead one, if any
      w->sandbox_id = r->id;
      w->pod_ip = r->ip;
      if (w->sandbox_lost) {
        w->sandbox_lost = false;
        spdlog::info("kubelet: pod {} has a new sandbox (ip {})", pod_ref(*w), w->pod_ip);
      }
      if (!old.empty() && old != r->id) engine_.remove_sandbox(old);
      publish(*w);
      if (w->terminating) return check_finished(*w);
      if (shutting_down_) return;
      for (size_t i = 0; i < w->containers.size(); ++i) {
        if (w->containers[i]->run == Run::kWaiting) start_container(*w, i);
      }
    });
  }

  void on_sandbox_failed(PodWorker& w, const std::string& message) {
    spdlog::warn("kubelet: pod {}: sandbox: {}", pod_ref(w), message);
    event(w, nullptr, "Warning", "FailedCreatePodSandBox",
          "Failed to create pod sandbox: " + message);
    for (auto& c : w.containers) {
      if (c->run == Run::kWaiting) c->waiting = {"CreateContainerError", message};
    }
    publish(w);
    if (w.terminating) return check_finished(w);
    if (shutting_down_) return;
    w.sandbox_timer = std::make_unique<asio::steady_timer>(io_, kImageRetry);
    w.sandbox_timer->async_wait(
        [this, alive = alive_, uid = w.uid](const boost::system::error_code& ec) {
          if (ec || !*alive) return;
          PodWorker* w = worker(uid);
          if (!w || w->terminating || shutting_down_ || w->sandbox_pending) return;
          if (w->sandbox_lost) return recreate_sandbox(*w);
          if (w->sandbox_id.empty()) create_sandbox(*w);
        });
  }

  void start_container(PodWorker& w, size_t index) {
    if (w.terminating || shutting_down_ || w.sandbox_lost) return;
    if (!volumes_ready(w, index)) return;
    ContainerRuntime& c = *w.containers[index];
    const uint64_t generation = ++c.generation;
    engine_.inspect_image(c.spec.image, [this, alive = alive_, uid = w.uid, index,
                                         generation](Result<std::optional<engine::ImageConfig>> r) {
      if (!*alive) return;
      PodWorker* w = worker(uid);
      if (!w || w->terminating || shutting_down_ || w->sandbox_lost) return;
      if (w->containers[index]->generation != generation) return;
      if (!r) return on_image_error(*w, index, r.error().message);
      on_image(*w, index, *r);
    });
  }

  // Whether the pod's volumes are ready; if not, they are set up now. A failure leaves the
  // container waiting in ContainerCreating with the reason, records kubelet's FailedMount
  // event and tries again later (a hostPath that appears, a ConfigMap that gets created).
  bool volumes_ready(PodWorker& w, size_t index) {
    if (w.volumes_ready) return true;
    const auto now = SteadyClock::now();
    auto r = volumes_.set_up(w.pod);
    if (r) {
      w.volumes_ready = true;
      w.mounts = std::move(*r);
      w.volume_failed_at.reset();
      return true;
    }
    ContainerRuntime& c = *w.containers[index];
    const bool repeat = w.volume_error == r.error().message && w.volume_failed_at &&
                        now - *w.volume_failed_at < kFailedMountRepeat;
    if (!repeat) {
      spdlog::warn("kubelet: pod {}: {}", pod_ref(w), r.error().message);
      event(w, nullptr, "Warning", "FailedMount", r.error().message);
      w.volume_failed_at = now;
      w.volume_error = r.error().message;
    }
    set_waiting(w, c, "ContainerCreating", r.error().message);
    retry_later(w, index, kImageRetry);
    return false;
  }

  // The engine could not say whether the image is there (dockerd down, a malformed reply):
  // kubelet's ImageInspectError with the engine's own words, and a retry.
  void on_image_error(PodWorker& w, size_t index, const std::string& message) {
    ContainerRuntime& c = *w.containers[index];
    const std::string text = "Failed to inspect image \"" + c.spec.image + "\": " + message;
    set_waiting(w, c, "ImageInspectError", text);
    event(w, &c, "Warning", "InspectFailed", text);
    retry_later(w, index, kImageRetry);
  }

  void on_image(PodWorker& w, size_t index, const std::optional<engine::ImageConfig>& found) {
    ContainerRuntime& c = *w.containers[index];
    engine::ImageConfig image;
    if (found) {
      image = *found;
    } else {
      std::string policy = c.spec.image_pull_policy.empty() ? default_pull_policy(c.spec.image)
                                                            : c.spec.image_pull_policy;
      if (policy == "Never") {
        const std::string message =
            "Container image \"" + c.spec.image + "\" is not present with pull policy of Never";
        set_waiting(w, c, "ErrImageNeverPull", message);
        event(w, &c, "Warning", "ErrImageNeverPull", message);
        return retry_later(w, index, kImageRetry);
      }
      if (c.spec.command.empty()) {
        set_waiting(w, c, "ErrImagePull",
                    "image \"" + c.spec.image +
                        "\" is not built; the process engine has no registry: run `skiff build "
                        "-t " +
                        c.spec.image + " DIR` (DIR holds its Dockerfile)");
        event(w, &c, "Warning", "Failed",
              "Failed to pull image \"" + c.spec.image + "\": " + c.waiting.message);
        return retry_later(w, index, kImageRetry);
      }
      image.ref = c.spec.image;  // a "host image": the spec's command runs on the host
    }
    c.image_id = image.id;
    if (found) {
      event(w, &c, "Normal", "Pulled",
            "Container image \"" + c.spec.image + "\" already present on machine");
    }

    PodEnvContext ctx;
    ctx.pod_name = w.name;
    ctx.pod_namespace = w.ns;
    ctx.pod_ip = w.pod_ip;
    ctx.hostname = w.pod.spec.hostname.empty() ? w.name : w.pod.spec.hostname;
    for (const auto& obj : store_.list(Kind::kService, w.ns)) {
      if (const auto* s = as<config::Service>(obj)) ctx.services.push_back(*s);
    }
    engine::ContainerRequest req;
    req.sandbox_id = w.sandbox_id;
    req.pod_uid = w.uid;
    req.pod_name = w.name;
    req.pod_namespace = w.ns;
    req.container_name = c.spec.name;
    req.image = c.spec.image;
    req.restart_count = c.restart_count;
    auto resolved = resolve_env(w.pod, c.spec, EnvFieldContext{w.pod_ip, options_.node_ip},
                                store_config_lookup(store_));
    if (!resolved) return on_config_error(w, index, resolved.error().message);
    for (const auto& warning : resolved->warnings) {
      event(w, nullptr, "Warning", "InvalidEnvironmentVariableNames", warning);
    }
    config::Container spec = c.spec;
    spec.env = std::move(resolved->env);
    req.env = container_env(spec, image, ctx);
    req.argv = container_argv(spec, image, req.env);
    req.working_dir = container_working_dir(c.spec, image);
    req.pod_ip = w.pod_ip;
    req.mounts = w.mounts[c.spec.name];
    req.limits = container_limits(c.spec);
    if (req.limits.memory_bytes > 0 || req.limits.cpu_milli > 0) {
      if (const std::string why = engine_.limits_unenforced(); !why.empty()) {
        event(w, &c, "Warning", "LimitsNotEnforced",
              "Resource limits of container " + c.spec.name + " are not enforced: " + why);
      }
    }
    if (req.argv.empty()) {
      set_waiting(w, c, "CreateContainerError",
                  "no command specified: the container has no command and its image no "
                  "ENTRYPOINT or CMD");
      return retry_later(w, index, kImageRetry);
    }
    c.run = Run::kStarting;
    engine_.start_container(req, [this, alive = alive_, uid = w.uid, index](Result<std::string> r) {
      if (!*alive) return;
      PodWorker* w = worker(uid);
      if (!w) return;
      on_started(*w, index, std::move(r));
    });
  }

  void on_started(PodWorker& w, size_t index, Result<std::string> r) {
    ContainerRuntime& c = *w.containers[index];
    if (!r) {
      c.run = Run::kWaiting;
      spdlog::warn("kubelet: pod {} container {}: {}", pod_ref(w), c.spec.name, r.error().message);
      if (w.stopping || shutting_down_) {
        check_finished(w);
        return check_shutdown();
      }
      if (w.sandbox_lost) return recreate_sandbox(w);
      set_waiting(w, c, "RunContainerError", r.error().message);
      event(w, &c, "Warning", "Failed", "Error: " + r.error().message);
      return retry_later(w, index, kImageRetry);
    }
    c.id = *r;
    c.last_id = c.id;
    c.run = Run::kRunning;
    c.started_at = rfc3339_now();
    c.started_once = true;
    c.unhealthy = false;
    if (w.stopping || shutting_down_) {
      auto grace = shutting_down_ ? w.pod.spec.termination_grace_period_seconds : grace_of(w);
      engine_.stop_container(c.id, std::chrono::seconds(grace));
      return;
    }
    if (w.sandbox_lost) {
      // Started into the sandbox that just died: it has no network; it goes at once.
      engine_.stop_container(c.id, std::chrono::seconds(0));
      return;
    }
    spdlog::info("kubelet: pod {} container {} started (restart {}, ip {})", pod_ref(w),
                 c.spec.name, c.restart_count, w.pod_ip);
    event(w, &c, "Normal", "Created", "Created container " + c.spec.name);
    event(w, &c, "Normal", "Started", "Started container " + c.spec.name);
    c.started = false;
    start_probes(w, index, false);
    publish(w);
  }

  // env / envFrom could not be resolved (a ConfigMap, Secret or key that is not there):
  // kubelet's CreateContainerConfigError with its message (names and keys, never values),
  // retried by on_config_change or after kConfigRetry.
  void on_config_error(PodWorker& w, size_t index, const std::string& message) {
    ContainerRuntime& c = *w.containers[index];
    if (c.waiting.reason != "CreateContainerConfigError" || c.waiting.message != message) {
      spdlog::info("kubelet: pod {} container {}: CreateContainerConfigError: {}", pod_ref(w),
                   c.spec.name, message);
    }
    set_waiting(w, c, "CreateContainerConfigError", message);
    event(w, &c, "Warning", "Failed", "Error: " + message);
    retry_later(w, index, kConfigRetry);
  }

  // A ConfigMap or Secret of `ns` changed: containers waiting for one start again now.
  void on_config_change(const std::string& ns) {
    if (shutting_down_) return;
    for (auto& [uid, w] : workers_) {
      if (w->ns != ns || w->terminating || w->finished) continue;
      for (size_t i = 0; i < w->containers.size(); ++i) {
        ContainerRuntime& c = *w->containers[i];
        if (c.run != Run::kWaiting || c.waiting.reason != "CreateContainerConfigError") continue;
        if (c.timer) c.timer->cancel();  // its retry is this one
        c.timer.reset();
        start_container(*w, i);
      }
    }
  }

  void retry_later(PodWorker& w, size_t index, std::chrono::milliseconds delay) {
    ContainerRuntime& c = *w.containers[index];
    c.timer = std::make_unique<asio::steady_timer>(io_, delay);
    c.timer->async_wait(
        [this, alive = alive_, uid = w.uid, index](const boost::system::error_code& ec) {
          if (ec || !*alive) return;
          if (PodWorker* w = worker(uid)) start_container(*w, index);
        });
  }

  void set_waiting(PodWorker& w, ContainerRuntime& c, std::string reason, std::string message) {
    c.run = Run::kWaiting;
    c.waiting = {std::move(reason), std::move(message)};
    publish(w);
  }

  // ---- probes ---------------------------------------------------------------------------

  // How long the container has run: probes' initialDelaySeconds count from its start, also
  // for a container adopted after a daemon restart.
  std::chrono::milliseconds running_for(const ContainerRuntime& c) const {
    auto since = parse_rfc3339(c.started_at);
    if (!since) return std::chrono::milliseconds(0);
    auto d = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now() - *since);
    return std::max(d, std::chrono::milliseconds(0));
  }

  ProbeSchedule schedule_of(const config::Probe& p, const ContainerRuntime& c,
                            std::optional<bool> initial) const {
    ProbeSchedule s;
    s.initial_delay = std::max(
        std::chrono::milliseconds(0),
        std::chrono::milliseconds(1000 * std::max(0, p.initial_delay_seconds)) - running_for(c));
    s.period = std::chrono::seconds(std::max(1, p.period_seconds));
    s.success_threshold = std::max(1, p.success_threshold);
    s.failure_threshold = std::max(1, p.failure_threshold);
    s.initial_result = initial;
    return s;
  }

  // Startup probe first (it gates the others), then liveness and readiness, as kubelet.
  void start_probes(PodWorker& w, size_t index, bool ready_before) {
    ContainerRuntime& c = *w.containers[index];
    if (c.spec.startup_probe && !c.started) {
      auto on_result = [this, alive = alive_, uid = w.uid, index](bool ok) {
        if (!*alive) return;
        PodWorker* w = worker(uid);
        if (!w) return;
        ContainerRuntime& c = *w->containers[index];
        if (c.run != Run::kRunning || !c.startup) return;
        if (!ok) return on_probe_failed(*w, index, "Startup");
        spdlog::info("kubelet: pod {} container {} started (startup probe passed)", pod_ref(*w),
                     c.spec.name);
        c.startup->stop();
        c.started = true;
        start_liveness(*w, index);
        start_readiness(*w, index, false);
        publish(*w);
      };
      const config::Probe& p = *c.spec.startup_probe;
      c.startup = std::make_unique<Prober>(io_, schedule_of(p, c, std::nullopt),
                                           probe_check(w, c, p), on_result);
      c.startup->start();
      return;
    }
    c.started = true;
    start_liveness(w, index);
    start_readiness(w, index, ready_before);
  }

  void start_liveness(PodWorker& w, size_t index) {
    ContainerRuntime& c = *w.containers[index];
    if (!c.spec.liveness_probe) return;
    auto on_result = [this, alive = alive_, uid = w.uid, index](bool ok) {
      if (!*alive || ok) return;
      PodWorker* w = worker(uid);
      if (!w) return;
      ContainerRuntime& c = *w->containers[index];
      if (c.run != Run::kRunning || !c.liveness) return;
      on_probe_failed(*w, index, "Liveness");
    };
    const config::Probe& p = *c.spec.liveness_probe;
    c.liveness =
        std::make_unique<Prober>(io_, schedule_of(p, c, true), probe_check(w, c, p), on_result);
    c.liveness->start();
  }

  // A liveness or startup probe reached its failure threshold: the container is killed with
  // its grace period and restarted per the restart policy (on_exit), as kubelet does.
  void on_probe_failed(PodWorker& w, size_t index, const char* which) {
    ContainerRuntime& c = *w.containers[index];
    quiesce(c);  // no probe runs against a container being killed
    const auto grace = std::chrono::seconds(w.pod.spec.termination_grace_period_seconds);
    event(w, &c, "Warning", "Unhealthy", std::string(which) + " probe failed");
    event(w, &c, "Normal", "Killing",
          "Container " + c.spec.name + " failed " +
              (std::string_view(which) == "Liveness" ? "liveness" : "startup") +
              " probe, will be restarted");
    spdlog::warn("kubelet: pod {} container {}: {} probe failed {} times", pod_ref(w), c.spec.name,
                 which,
                 std::string_view(which) == "Liveness" ? c.spec.liveness_probe->failure_threshold
                                                       : c.spec.startup_probe->failure_threshold);
    spdlog::info(
        "kubelet: killing container {} of pod {}: failed {} probe, will be restarted "
        "(grace {}s)",
        c.spec.name, pod_ref(w), which, grace.count());
    publish(w);
    engine_.stop_container(c.id, grace);
  }

  void start_readiness(PodWorker& w, size_t index, bool ready_before) {
    ContainerRuntime& c = *w.containers[index];
    c.ready = ready_before;
    auto on_change = [this, alive = alive_, uid = w.uid, index](bool ready) {
      if (!*alive) return;
      PodWorker* w = worker(uid);
      if (!w) return;
      ContainerRuntime& c = *w->containers[index];
      if (c.run != Run::kRunning) return;
      c.ready = ready;
      spdlog::info("kubelet: pod {} container {} {}", pod_ref(*w), c.spec.name,
                   ready ? "ready" : "not ready");
      if (!ready && c.spec.readiness_probe) {
        event(*w, &c, "Warning", "Unhealthy", "Readiness probe failed");
      }
      publish(*w);
    };
    if (c.spec.readiness_probe) {
      const config::Probe& p = *c.spec.readiness_probe;
      c.prober = std::make_unique<Prober>(io_, schedule_of(p, c, ready_before),
                                          probe_check(w, c, p), on_change);
      c.prober->start();
      return;
    }
    std::vector<uint16_t> ports;
    for (const auto& port : c.spec.ports) {
      if (port.protocol == "TCP" && port.container_port > 0 && port.container_port <= 65535) {
        ports.push_back(static_cast<uint16_t>(port.container_port));
      }
    }
    if (ports.empty()) {
      c.ready = true;
      return;
    }
    ProbeSchedule s;
    s.period = kPortRecheck;
    s.period_until_success = options_.port_check_period;
    s.success_threshold = 1;
    s.failure_threshold = 1;
    s.initial_result = ready_before;
    auto timeout = std::max(options_.port_check_period, std::chrono::milliseconds(1000));
    ProbeCheck check = [this, ip = w.pod_ip, ports, timeout](CheckDone done) {
      // Ready only when every declared port accepts a connection.
      auto remaining = std::make_shared<size_t>(ports.size());
      auto all_ok = std::make_shared<bool>(true);
      for (uint16_t port : ports) {
        tcp_check(io_, ip, port, timeout, [remaining, all_ok, done](bool ok) {
          *all_ok = *all_ok && ok;
          if (--*remaining == 0) done(*all_ok);
        });
      }
    };
    c.prober = std::make_unique<Prober>(io_, s, std::move(check), on_change);
    c.prober->start();
  }

  ProbeCheck probe_check(PodWorker& w, ContainerRuntime& c, const config::Probe& p) {
    auto timeout = std::chrono::milliseconds(1000 * std::max(1, p.timeout_seconds));
    auto fail_now = [this](CheckDone done) { asio::post(io_, [done] { done(false); }); };
    if (p.http_get) {
      auto port = resolve_port(p.http_get->port, c.spec);
      std::string host = p.http_get->host.empty() ? w.pod_ip : p.http_get->host;
      if (!port) return fail_now;
      return [this, host, port = *port, path = p.http_get->path, headers = p.http_get->http_headers,
              timeout](CheckDone done) {
        http_get_check(io_, host, port, path, headers, timeout, std::move(done));
      };
    }
    if (p.tcp_socket) {
      auto port = resolve_port(p.tcp_socket->port, c.spec);
      std::string host = p.tcp_socket->host.empty() ? w.pod_ip : p.tcp_socket->host;
      if (!port) return fail_now;
      return [this, host, port = *port, timeout](CheckDone done) {
        tcp_check(io_, host, port, timeout, std::move(done));
      };
    }
    if (p.exec) {
      return [this, id = c.id, command = p.exec->command, timeout](CheckDone done) {
        engine_.exec(id, command, timeout,
                     [done](engine::ExecResult r) { done(r.exit_code == 0); });
      };
    }
    return [this](CheckDone done) { asio::post(io_, [done] { done(true); }); };
  }

  // ---- exits and restarts ---------------------------------------------------------------

  void quiesce(ContainerRuntime& c) {
    for (auto* p : {&c.prober, &c.liveness, &c.startup}) {
      if (*p) (*p)->stop();
      p->reset();
    }
    if (c.timer) c.timer->cancel();
    c.timer.reset();
    c.ready = false;
  }

  void on_exit(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev) {
    quiesce(c);
    config::ContainerStateTerminated term;
    term.exit_code = ev.exit_code;
    term.signal = ev.signal;
    term.reason = ev.oom_killed          ? "OOMKilled"
                  : ev.exit_code_unknown ? "Unknown"
                  : ev.exit_code == 0    ? "Completed"
                                         : "Error";
    if (ev.exit_code_unknown) {
      term.message = "adopted after a daemon restart; the kernel did not report its exit status";
    }
    term.started_at = c.started_at;
    term.finished_at = ev.time.empty() ? rfc3339_now() : ev.time;
    term.container_id = container_uri(c.id);
    c.id.clear();
    spdlog::info("kubelet: pod {} container {} exited with code {}", pod_ref(w), c.spec.name,
                 ev.exit_code);
    if (w.terminating || shutting_down_) {
      c.run = Run::kTerminated;
      c.terminated = term;
      publish(w);
      check_finished(w);
      check_shutdown();
      return;
    }
    const std::string& policy = w.pod.spec.restart_policy;
    bool restart = policy == "Always" || (policy == "OnFailure" && ev.exit_code != 0);
    if (w.sandbox_lost) return on_exit_sandbox_lost(w, c, std::move(term), restart);
    if (!restart) {
      c.run = Run::kTerminated;
      c.terminated = term;
      publish(w);
      return;
    }
    c.last_terminated = term;
    const std::string key = w.uid + "/" + c.spec.name;
    auto now = SteadyClock::now();
    auto delay = backoff_.delay(key, now);
    size_t index = index_of(w, c);
    if (delay.count() == 0) return restart_container(w, index);
    c.run = Run::kWaiting;
    c.waiting = {"CrashLoopBackOff", "back-off " + format_go_duration(backoff_.window(key, now)) +
                                         " restarting failed container=" + c.spec.name +
                                         " pod=" + w.name + "_" + w.ns + "(" + w.uid + ")"};
    spdlog::info("kubelet: pod {} container {} in CrashLoopBackOff, restarting in {}", pod_ref(w),
                 c.spec.name, format_go_duration(delay));
    event(w, &c, "Warning", "BackOff",
          "Back-off restarting failed container " + c.spec.name + " in pod " + w.name + "_" + w.ns +
              "(" + w.uid + ")");
    publish(w);
    c.timer = std::make_unique<asio::steady_timer>(io_, delay);
    c.timer->async_wait(
        [this, alive = alive_, uid = w.uid, index](const boost::system::error_code& ec) {
          if (ec || !*alive) return;
          if (PodWorker* w = worker(uid)) restart_container(*w, index);
        });
  }

  // ---- a dead sandbox ------------------------------------------------------------------

  // The pod's sandbox died (docker: its pause container was killed), so its containers lost
  // their network. As kubelet does when a pod's sandbox changed: every container is killed,
  // and once none runs the pod gets a new sandbox (and address) and its containers start
  // again there, each restart counted.
  void on_sandbox_lost(PodWorker& w) {
    if (w.terminating || shutting_down_ || w.sandbox_lost) return;
    w.sandbox_lost = true;
    spdlog::warn(
        "kubelet: pod {}: its sandbox died; its containers are killed and it starts again in a "
        "new sandbox",
        pod_ref(w));
    event(w, nullptr, "Normal", "SandboxChanged",
          "Pod sandbox changed, it will be killed and re-created.");
    const auto grace = std::chrono::seconds(w.pod.spec.termination_grace_period_seconds);
    for (auto& c : w.containers) {
      quiesce(*c);
      ++c->generation;
      if (c->run == Run::kRunning) {
        spdlog::info("kubelet: killing container {} of pod {} (sandbox changed, grace {}s)",
                     c->spec.name, pod_ref(w), grace.count());
        event(w, c.get(), "Normal", "Killing", "Stopping container " + c->spec.name);
        engine_.stop_container(c->id, grace);
      }
    }
    publish(w);  // not Ready: the endpoints drop the pod now
    recreate_sandbox(w);
  }

  void on_exit_sandbox_lost(PodWorker& w, ContainerRuntime& c,
                            config::ContainerStateTerminated term, bool restart) {
    c.last_terminated = term;
    if (restart) {
      backoff_.record_restart(w.uid + "/" + c.spec.name, SteadyClock::now());
      ++c.restart_count;
      c.run = Run::kWaiting;
      c.waiting = {"ContainerCreating", ""};
    } else {
      c.run = Run::kTerminated;
      c.terminated = std::move(term);
    }
    publish(w);
    recreate_sandbox(w);
  }

  // Once no container of the lost sandbox runs: a new sandbox, then the containers that are
  // to run again start in it. A failed creation is retried.
  void recreate_sandbox(PodWorker& w) {
    if (!w.sandbox_lost || w.sandbox_pending || w.terminating || shutting_down_) return;
    for (const auto& c : w.containers) {
      if (has_process(*c)) return;
    }
    if (std::none_of(w.containers.begin(), w.containers.end(),
                     [](const auto& c) { return c->run == Run::kWaiting; })) {
      return;  // every container finished for good: nothing to run in a new sandbox
    }
    create_sandbox(w);
  }

  // ---- image HEALTHCHECK ---------------------------------------------------------------

  void on_health(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev) {
    if (c.run != Run::kRunning || c.unhealthy == !ev.healthy) return;
    c.unhealthy = !ev.healthy;
    if (c.unhealthy) {
      spdlog::warn("kubelet: pod {} container {} unhealthy (image HEALTHCHECK): not ready{}",
                   pod_ref(w), c.spec.name, ev.message.empty() ? "" : ": " + ev.message);
      event(w, &c, "Warning", "Unhealthy",
            "HEALTHCHECK failed" + (ev.message.empty() ? std::string() : ": " + ev.message));
    } else {
      spdlog::info("kubelet: pod {} container {} healthy again (image HEALTHCHECK)", pod_ref(w),
                   c.spec.name);
    }
    publish(w);
  }

  void restart_container(PodWorker& w, size_t index) {
    if (w.terminating || shutting_down_) return;
    ContainerRuntime& c = *w.containers[index];
    backoff_.record_restart(w.uid + "/" + c.spec.name, SteadyClock::now());
    ++c.restart_count;
    spdlog::info("kubelet: pod {} container {} restarting (restart {})", pod_ref(w), c.spec.name,
                 c.restart_count);
    c.run = Run::kWaiting;
    c.waiting = {"ContainerCreating", ""};
    start_container(w, index);
  }

  // ---- deletion -------------------------------------------------------------------------

  int64_t grace_of(const PodWorker& w) const {
    if (w.removed) return 0;
    return w.pod.metadata.deletion_grace_period_seconds.value_or(
        w.pod.spec.termination_grace_period_seconds);
  }

  void begin_termination(PodWorker& w) {
    w.terminating = true;
    for (auto& c : w.containers) quiesce(*c);
    spdlog::info("kubelet: pod {} terminating (grace {}s)", pod_ref(w), grace_of(w));
    publish(w);  // not Ready: the endpoints drop the pod, the table stops routing to it
    if (!still_served(w.pod_ip)) return stop_containers(w);
    w.unpublish_timer = std::make_unique<asio::steady_timer>(io_, options_.unpublish_wait_max);
    w.unpublish_timer->async_wait(
        [this, alive = alive_, uid = w.uid](const boost::system::error_code& ec) {
          if (ec || !*alive) return;
          PodWorker* w = worker(uid);
          if (w && !w->stopping) stop_containers(*w);
        });
  }

  void stop_containers(PodWorker& w) {
    w.stopping = true;
    if (w.unpublish_timer) w.unpublish_timer->cancel();
    auto grace = std::chrono::seconds(grace_of(w));
    for (auto& c : w.containers) {
      if (c->run == Run::kRunning) {
        spdlog::info("kubelet: killing container {} of pod {} (grace {}s)", c->spec.name,
                     pod_ref(w), grace.count());
        event(w, c.get(), "Normal", "Killing", "Stopping container " + c->spec.name);
        engine_.stop_container(c->id, grace);
      }
    }
    check_finished(w);
  }

  void on_removed(PodWorker& w) {
    w.removed = true;
    if (!w.terminating) {
      w.terminating = true;
      for (auto& c : w.containers) quiesce(*c);
    }
    stop_containers(w);  // grace 0: SIGKILL at once
  }

  // A terminating pod whose containers all exited gives back its sandbox and leaves the store.
  void check_finished(PodWorker& w) {
    if (!w.stopping || w.finished || w.sandbox_pending) return;
    for (const auto& c : w.containers) {
      if (has_process(*c)) return;
    }
    w.finished = true;
    volumes_.tear_down(w.uid);  // emptyDirs go with the pod
    if (!w.sandbox_id.empty()) engine_.remove_sandbox(w.sandbox_id);
    if (!w.removed) {
      auto current = store_.get(Kind::kPod, w.ns, w.name);
      const Pod* pod = as<Pod>(current);
      if (pod && pod->metadata.uid == w.uid) {
        auto r = store_.remove(Kind::kPod, w.ns, w.name, 0);
        if (!r) spdlog::warn("kubelet: removing pod {}: {}", pod_ref(w), r.error().message);
      }
    }
    spdlog::info("kubelet: pod {} deleted", pod_ref(w));
    backoff_forget(w);
    // Erase later: callers still hold references into the worker.
    asio::post(io_, [this, alive = alive_, uid = w.uid] {
      if (*alive) workers_.erase(uid);
    });
  }

  void backoff_forget(const PodWorker& w) {
    for (const auto& c : w.containers) backoff_.forget(w.uid + "/" + c->spec.name);
  }

  void check_shutdown() {
    if (!shutting_down_ || !shutdown_done_) return;
    for (const auto& [uid, w] : workers_) {
      for (const auto& c : w->containers) {
        if (has_process(*c)) return;
      }
    }
    auto done = std::move(shutdown_done_);
    shutdown_done_ = nullptr;
    asio::post(io_, [alive = alive_, done] {
      if (*alive) done();
    });
  }

  // ---- status ---------------------------------------------------------------------------

  // "<engine>://<id>", as kubelet names a container: "docker://4f2c…", "process://…".
  std::string container_uri(const std::string& id) const {
    return std::string(engine_.name()) + "://" + id;
  }

  config::PodStatus build_status(const PodWorker& w, const config::PodStatus& stored) const {
    config::PodStatus s;
    bool all_started = true, all_ready = true, all_done = true, all_succeeded = true;
    for (const auto& c : w.containers) {
      config::ContainerStatus cs;
      cs.name = c->spec.name;
      cs.image = c->spec.image;
      cs.image_id = c->image_id;
      cs.restart_count = c->restart_count;
      cs.ready = c->ready && !c->unhealthy && c->run == Run::kRunning;
      cs.started = c->run == Run::kRunning && c->started;
      if (!c->last_id.empty()) cs.container_id = container_uri(c->last_id);
      if (c->run == Run::kRunning) {
        cs.state.running = config::ContainerStateRunning{c->started_at};
      } else if (c->run == Run::kTerminated && c->terminated) {
        cs.state.terminated = c->terminated;
      } else {
        cs.state.waiting = c->waiting;
      }
      if (c->last_terminated) cs.last_state.terminated = c->last_terminated;
      all_started = all_started && c->started_once;
      all_ready = all_ready && cs.ready;
      all_done = all_done && c->run == Run::kTerminated && c->terminated;
      all_succeeded = all_succeeded && c->terminated && c->terminated->exit_code == 0;
      s.container_statuses.push_back(std::move(cs));
    }
    if (w.containers.empty()) all_started = all_done = false;
    if (all_done && !w.terminating) {
      s.phase = all_succeeded ? "Succeeded" : "Failed";
    } else if (all_started) {
      s.phase = "Running";
    } else {
      s.phase = "Pending";
    }
    bool ready = all_ready && !w.terminating && !w.containers.empty();
    auto condition = [&](const std::string& type, bool value, std::string reason) {
      config::Condition c;
      c.type = type;
      c.status = value ? "True" : "False";
      if (!value) c.reason = std::move(reason);
      c.last_transition_time = rfc3339_now();
      for (const auto& old : stored.conditions) {
        if (old.type == type && old.status == c.status) {
          c.last_transition_time = old.last_transition_time;
        }
      }
      s.conditions.push_back(std::move(c));
    };
    condition("Initialized", true, "");
    condition("Ready", ready, "ContainersNotReady");
    condition("ContainersReady", all_ready && !w.containers.empty(), "ContainersNotReady");
    condition("PodScheduled", true, "");
    s.host_ip = options_.node_ip;
    s.pod_ip = w.pod_ip;
    if (!w.pod_ip.empty()) s.pod_ips = {w.pod_ip};
    s.start_time = w.start_time;
    return s;
  }

  void publish(PodWorker& w) {
    if (shutting_down_ || w.removed) return;
    auto current = store_.get(Kind::kPod, w.ns, w.name);
    const Pod* pod = as<Pod>(current);
    if (!pod || pod->metadata.uid != w.uid) return;
    config::PodStatus next = build_status(w, pod->status);
    if (next == pod->status) return;
    Pod updated = *pod;
    updated.status = std::move(next);
    auto r = store_.update_status(updated);
    if (!r) spdlog::warn("kubelet: status of pod {}: {}", pod_ref(w), r.error().message);
  }

  // ---- events ---------------------------------------------------------------------------

  // An Event about the pod (a container's: field path spec.containers{name}), when the
  // kubelet has a recorder.
  void event(const PodWorker& w, const ContainerRuntime* c, const char* type,
             const std::string& reason, const std::string& message) {
    if (!options_.events) return;
    EventTarget target{config::Pod::kKind,
                       config::Pod::kApiVersion,
                       w.ns,
                       w.name,
                       w.uid,
                       c ? "spec.containers{" + c->spec.name + "}" : std::string()};
    options_.events->record(target, kKubeletComponent, type, reason, message);
  }

  // ---- lookups --------------------------------------------------------------------------

  PodWorker* worker(const std::string& uid) {
    auto it = workers_.find(uid);
    return it == workers_.end() || it->second->finished ? nullptr : it->second.get();
  }

  static size_t index_of(const PodWorker& w, const ContainerRuntime& c) {
    for (size_t i = 0; i < w.containers.size(); ++i) {
      if (w.containers[i].get() == &c) return i;
    }
    return 0;
  }

  asio::io_context& io_;
  Store& store_;
  engine::Engine& engine_;
  const ServiceTableSource& table_;
  KubeletOptions options_;
  RestartBackoff backoff_;
  VolumeManager volumes_;
  std::map<std::string, std::unique_ptr<PodWorker>> workers_;  // by pod uid
  uint64_t watch_id_ = 0;
  std::vector<uint64_t> config_watch_ids_;  // ConfigMaps and Secrets: on_config_change
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
  bool recovered_ = false;  // engine.recover() answered; pods are synced only after that
  // Containers taken back from an earlier daemon, by pod uid, until their pod is synced.
  std::map<std::string, std::vector<engine::RecoveredContainer>> adoptable_;
  std::map<std::string, std::string> orphans_;  // adopted container id -> sandbox id, stopping
  // Callbacks posted to the loop or held by the engine, the store and the table check this:
  // the kubelet may be destroyed before they run.
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

Kubelet::Kubelet(asio::io_context& io, Store& store, engine::Engine& engine,
                 const ServiceTableSource& table, KubeletOptions options)
    : impl_(std::make_unique<Impl>(io, store, engine, table, options)) {}

Kubelet::~Kubelet() = default;

void Kubelet::start() { impl_->start(); }

void Kubelet::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

}  // namespace skiff::controller
