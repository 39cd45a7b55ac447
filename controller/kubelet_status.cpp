// Kubelet: what it reports. The pod status written to the store (container states, phase,
// conditions) and the Events it records about a pod and its containers.
#include <spdlog/spdlog.h>

#include "controller/event_recorder.h"
#include "controller/kubelet_impl.h"
#include "controller/rfc3339.h"

namespace skiff::controller {

// ---- status --------------------------------------------------------------------------

// "<engine>://<id>", as kubelet names a container: "docker://4f2c…", "process://…".
std::string Kubelet::Impl::container_uri(const std::string& id) const {
  return std::string(engine_.name()) + "://" + id;
}

config::PodStatus Kubelet::Impl::build_status(const PodWorker& w,
                                              const config::PodStatus& stored) const {
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

void Kubelet::Impl::publish(PodWorker& w) {
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

// ---- events --------------------------------------------------------------------------

// An Event about the pod (a container's: field path spec.containers{name}), when the
// kubelet has a recorder.
void Kubelet::Impl::event(const PodWorker& w, const ContainerRuntime* c, const char* type,
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

}  // namespace skiff::controller
