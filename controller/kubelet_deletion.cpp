// Kubelet: graceful deletion. A pod with deletionTimestamp stops being routed, then its
// containers get SIGTERM (SIGKILL after the grace period); once all exited it gives back its
// sandbox and volumes and leaves the store. Also where a daemon shutdown learns it is done.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "controller/kubelet_impl.h"

namespace skiff::controller {

int64_t Kubelet::Impl::grace_of(const PodWorker& w) const {
  if (w.removed) return 0;
  return w.pod.metadata.deletion_grace_period_seconds.value_or(
      w.pod.spec.termination_grace_period_seconds);
}

void Kubelet::Impl::begin_termination(PodWorker& w) {
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

void Kubelet::Impl::stop_containers(PodWorker& w) {
  w.stopping = true;
  if (w.unpublish_timer) w.unpublish_timer->cancel();
  auto grace = std::chrono::seconds(grace_of(w));
  for (auto& c : w.containers) {
    if (c->run == Run::kRunning) {
      spdlog::info("kubelet: killing container {} of pod {} (grace {}s)", c->spec.name, pod_ref(w),
                   grace.count());
      event(w, c.get(), "Normal", "Killing", "Stopping container " + c->spec.name);
      engine_.stop_container(c->id, grace);
    }
  }
  check_finished(w);
}

void Kubelet::Impl::on_removed(PodWorker& w) {
  w.removed = true;
  if (!w.terminating) {
    w.terminating = true;
    for (auto& c : w.containers) quiesce(*c);
  }
  stop_containers(w);  // grace 0: SIGKILL at once
}

// A terminating pod whose containers all exited gives back its sandbox and leaves the store.
void Kubelet::Impl::check_finished(PodWorker& w) {
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

void Kubelet::Impl::backoff_forget(const PodWorker& w) {
  for (const auto& c : w.containers) backoff_.forget(w.uid + "/" + c->spec.name);
}

void Kubelet::Impl::check_shutdown() {
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

}  // namespace skiff::controller
