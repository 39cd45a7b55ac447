// Kubelet: a container's probes. The startup probe gates liveness and readiness; a failed
// liveness or startup probe kills the container for a restart; readiness comes from the
// readiness probe or, without one, from the declared TCP containerPorts accepting connections.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <string_view>

#include "controller/kubelet_impl.h"
#include "controller/rfc3339.h"

namespace skiff::controller {

namespace {

// Port readiness re-check once the ports answered.
constexpr std::chrono::seconds kPortRecheck{3};

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

// How long the container has run: probes' initialDelaySeconds count from its start, also
// for a container adopted after a daemon restart.
std::chrono::milliseconds Kubelet::Impl::running_for(const ContainerRuntime& c) const {
  auto since = parse_rfc3339(c.started_at);
  if (!since) return std::chrono::milliseconds(0);
  auto d = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                 *since);
  return std::max(d, std::chrono::milliseconds(0));
}

ProbeSchedule Kubelet::Impl::schedule_of(const config::Probe& p, const ContainerRuntime& c,
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
void Kubelet::Impl::start_probes(PodWorker& w, size_t index, bool ready_before) {
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
    c.startup = std::make_unique<Prober>(io_, schedule_of(p, c, std::nullopt), probe_check(w, c, p),
                                         on_result);
    c.startup->start();
    return;
  }
  c.started = true;
  start_liveness(w, index);
  start_readiness(w, index, ready_before);
}

void Kubelet::Impl::start_liveness(PodWorker& w, size_t index) {
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
void Kubelet::Impl::on_probe_failed(PodWorker& w, size_t index, const char* which) {
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

void Kubelet::Impl::start_readiness(PodWorker& w, size_t index, bool ready_before) {
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
    c.prober = std::make_unique<Prober>(io_, schedule_of(p, c, ready_before), probe_check(w, c, p),
                                        on_change);
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

ProbeCheck Kubelet::Impl::probe_check(PodWorker& w, ContainerRuntime& c, const config::Probe& p) {
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
      engine_.exec(id, command, timeout, [done](engine::ExecResult r) { done(r.exit_code == 0); });
    };
  }
  return [this](CheckDone done) { asio::post(io_, [done] { done(true); }); };
}

}  // namespace skiff::controller
