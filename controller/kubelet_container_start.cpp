// Kubelet: a container's start. Volumes set up first, the image inspected (pull policy,
// host images of the process engine), env and envFrom resolved, then the engine starts it;
// each failure leaves the container waiting with kubelet's reason and is retried.
#include <spdlog/spdlog.h>

#include "controller/config_sources.h"
#include "controller/container_command.h"
#include "controller/env_resolver.h"
#include "controller/kubelet_impl.h"
#include "controller/rfc3339.h"
#include "controller/scheduler_fit.h"

namespace skiff::controller {

namespace {

// A volume that failed to set up is tried again at each container start retry (kImageRetry);
// its FailedMount event is recorded again at most this often (the recorder counts repeats).
constexpr std::chrono::seconds kFailedMountRepeat{10};
// A container in CreateContainerConfigError is retried when a ConfigMap or Secret of its
// namespace changes, and at least this often (kubelet's sync loop).
constexpr std::chrono::seconds kConfigRetry{10};

std::string default_pull_policy(const std::string& image) {
  auto slash = image.rfind('/');
  std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  auto colon = last.find(':');
  bool latest = colon == std::string::npos || last.substr(colon + 1) == "latest";
  return latest ? "Always" : "IfNotPresent";
}

}  // namespace

void Kubelet::Impl::start_container(PodWorker& w, size_t index) {
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
bool Kubelet::Impl::volumes_ready(PodWorker& w, size_t index) {
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
void Kubelet::Impl::on_image_error(PodWorker& w, size_t index, const std::string& message) {
  ContainerRuntime& c = *w.containers[index];
  const std::string text = "Failed to inspect image \"" + c.spec.image + "\": " + message;
  set_waiting(w, c, "ImageInspectError", text);
  event(w, &c, "Warning", "InspectFailed", text);
  retry_later(w, index, kImageRetry);
}

void Kubelet::Impl::on_image(PodWorker& w, size_t index,
                             const std::optional<engine::ImageConfig>& found) {
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
  EnvFieldContext fields{w.pod_ip, options_.node_ip, {}};
  const ObjectPtr node = store_.get(Kind::kNode, "", options_.node_name);
  if (const auto* n = as<config::Node>(node)) fields.node_allocatable = n->status.allocatable;
  auto resolved = resolve_env(w.pod, c.spec, fields, store_config_lookup(store_));
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

void Kubelet::Impl::on_started(PodWorker& w, size_t index, Result<std::string> r) {
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
  spdlog::info("kubelet: pod {} container {} started (restart {}, ip {})", pod_ref(w), c.spec.name,
               c.restart_count, w.pod_ip);
  event(w, &c, "Normal", "Created", "Created container " + c.spec.name);
  event(w, &c, "Normal", "Started", "Started container " + c.spec.name);
  c.started = false;
  start_probes(w, index, false);
  publish(w);
}

// env / envFrom could not be resolved (a ConfigMap, Secret or key that is not there):
// kubelet's CreateContainerConfigError with its message (names and keys, never values),
// retried by on_config_change or after kConfigRetry.
void Kubelet::Impl::on_config_error(PodWorker& w, size_t index, const std::string& message) {
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
void Kubelet::Impl::on_config_change(const std::string& ns) {
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

void Kubelet::Impl::retry_later(PodWorker& w, size_t index, std::chrono::milliseconds delay) {
  ContainerRuntime& c = *w.containers[index];
  c.timer = std::make_unique<asio::steady_timer>(io_, delay);
  c.timer->async_wait(
      [this, alive = alive_, uid = w.uid, index](const boost::system::error_code& ec) {
        if (ec || !*alive) return;
        if (PodWorker* w = worker(uid)) start_container(*w, index);
      });
}

void Kubelet::Impl::set_waiting(PodWorker& w, ContainerRuntime& c, std::string reason,
                                std::string message) {
  c.run = Run::kWaiting;
  c.waiting = {std::move(reason), std::move(message)};
  publish(w);
}

}  // namespace skiff::controller
