// Kubelet: the store's and the engine's events. Recovery of the containers an earlier daemon
// left running (adopted, or stopped as orphans), pod watch events and the sync they trigger,
// binding without a scheduler, container exits and health from the engine, and a new
// ServiceTable that lets a terminating pod's containers be stopped.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>
#include <set>

#include "controller/event_recorder.h"
#include "controller/kubelet_impl.h"

namespace skiff::controller {

namespace {

// Grace for a container adopted after a restart whose pod is gone (its own grace period died
// with the pod object): SIGTERM, then SIGKILL.
constexpr std::chrono::seconds kOrphanGrace{10};

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

}  // namespace

void Kubelet::Impl::on_recovered(Result<std::vector<engine::RecoveredContainer>> recovered) {
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
bool Kubelet::Impl::on_orphan_exit(const ContainerEvent& ev) {
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

void Kubelet::Impl::on_watch(const WatchEvent& ev) {
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

void Kubelet::Impl::sync_pod(const Pod& pod) {
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
void Kubelet::Impl::bind(const Pod& pod) {
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

void Kubelet::Impl::on_engine_event(const ContainerEvent& ev) {
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
bool Kubelet::Impl::still_served(const std::string& ip) const {
  const auto current = table_.current();
  return routed(current, ip) || table_.programmed_version() < current->version;
}

void Kubelet::Impl::on_table() {
  for (auto& [uid, w] : workers_) {
    if (w->terminating && !w->stopping && !still_served(w->pod_ip)) {
      stop_containers(*w);
    }
  }
}

}  // namespace skiff::controller
