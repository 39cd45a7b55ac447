// Kubelet: a container that exited, and restarts. The restart policy and kubelet's back-off
// (CrashLoopBackOff), a pod whose sandbox died (its containers killed and started again in a
// new sandbox), and the image's HEALTHCHECK turning a container not ready.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/kubelet_impl.h"
#include "controller/rfc3339.h"

namespace skiff::controller {

// ---- exits and restarts --------------------------------------------------------------

void Kubelet::Impl::quiesce(ContainerRuntime& c) {
  for (auto* p : {&c.prober, &c.liveness, &c.startup}) {
    if (*p) (*p)->stop();
    p->reset();
  }
  if (c.timer) c.timer->cancel();
  c.timer.reset();
  c.ready = false;
}

void Kubelet::Impl::on_exit(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev) {
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
  schedule_restart(w, index_of(w, c));
}

void Kubelet::Impl::schedule_restart(PodWorker& w, size_t index) {
  ContainerRuntime& c = *w.containers[index];
  const std::string key = w.uid + "/" + c.spec.name;
  auto now = SteadyClock::now();
  auto delay = backoff_.delay(key, now);
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

void Kubelet::Impl::restart_container(PodWorker& w, size_t index) {
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

// ---- a dead sandbox ------------------------------------------------------------------

// The pod's sandbox died (docker: its pause container was killed), so its containers lost
// their network. As kubelet does when a pod's sandbox changed: every container is killed,
// and once none runs the pod gets a new sandbox (and address) and its containers start
// again there, each restart counted and each through its back-off, so a sandbox that keeps
// dying puts its containers in CrashLoopBackOff rather than restarting them in a tight loop.
void Kubelet::Impl::on_sandbox_lost(PodWorker& w) {
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
    // One waiting out its back-off keeps waiting in the new sandbox.
    if (c->run == Run::kWaiting && c->started_once) c->restart_due = true;
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

void Kubelet::Impl::on_exit_sandbox_lost(PodWorker& w, ContainerRuntime& c,
                                         config::ContainerStateTerminated term, bool restart) {
  c.last_terminated = term;
  if (restart) {
    c.restart_due = true;
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
void Kubelet::Impl::recreate_sandbox(PodWorker& w) {
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

void Kubelet::Impl::on_health(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev) {
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

}  // namespace skiff::controller
