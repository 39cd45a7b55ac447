// Kubelet: a pod's start. Its worker (with what the stored status remembers of earlier runs),
// adoption of containers an earlier daemon started, and its sandbox: created at the start and
// again after the sandbox died, a failure retried.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/kubelet_impl.h"
#include "controller/rfc3339.h"

namespace skiff::controller {

// The worker's identity and containers, with what the stored status remembers of earlier
// runs (a daemon restart): restart counts and last states carry on.
void Kubelet::Impl::init_worker(PodWorker& w, const Pod& pod) {
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
void Kubelet::Impl::begin_adopted(PodWorker& w, const Pod& pod,
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

void Kubelet::Impl::begin(PodWorker& w, const Pod& pod) {
  init_worker(w, pod);
  create_sandbox(w);
}

// Creates the pod's sandbox, at its start and again after the sandbox died (sandbox_lost),
// then starts the containers that wait. A failure (dockerd busy, briefly away, or saying
// no) is an event and is retried: the containers wait meanwhile.
void Kubelet::Impl::create_sandbox(PodWorker& w) {
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
      ContainerRuntime& c = *w->containers[i];
      if (c.run != Run::kWaiting) continue;
      if (c.restart_due) {
        c.restart_due = false;
        schedule_restart(*w, i);
      } else {
        start_container(*w, i);
      }
    }
  });
}

void Kubelet::Impl::on_sandbox_failed(PodWorker& w, const std::string& message) {
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

}  // namespace skiff::controller
