// Internal to the kubelet: the declaration of Kubelet::Impl (its per-pod and per-container
// state, and the member functions the kubelet_*.cpp files define). Included only by
// controller/kubelet.cpp and controller/kubelet_*.cpp; nothing outside the kubelet includes it
// (the public interface is controller/kubelet.h).
//
// Where the definitions live:
//   kubelet.cpp                  construction, start/shutdown, the public facade, lookups
//   kubelet_events.cpp           store and engine events: recovery, watch, binding, the table
//   kubelet_pod_start.cpp        a pod's worker, adoption after a restart, its sandbox
//   kubelet_container_start.cpp  starting a container: volumes, image, env, the engine call
//   kubelet_probes.cpp           startup, liveness and readiness probes
//   kubelet_restarts.cpp         exits and restarts, a dead sandbox, image HEALTHCHECK
//   kubelet_deletion.cpp         graceful deletion and shutdown's end
//   kubelet_status.cpp           the pod status written to the store, recorded events
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/backoff.h"
#include "controller/kubelet.h"
#include "controller/prober.h"
#include "controller/volume_manager.h"

namespace skiff::controller {
namespace asio = boost::asio;
using config::Pod;
using engine::ContainerEvent;
using SteadyClock = std::chrono::steady_clock;

class Kubelet::Impl {
 public:
  Impl(asio::io_context& io, Store& store, engine::Engine& engine, const ServiceTableSource& table,
       KubeletOptions options);
  ~Impl();

  void start();
  void shutdown(std::function<void()> done);

 private:
  // How often an absent image is looked for again (so `skiff build` afterwards lets it start).
  static constexpr std::chrono::seconds kImageRetry{2};

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
    // Its sandbox died while it ran or waited to restart: once the new sandbox is up it is
    // restarted through the back-off (schedule_restart), not started at once.
    bool restart_due = false;
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

  static bool has_process(const ContainerRuntime& c) {
    return c.run == Run::kStarting || c.run == Run::kRunning;
  }

  static std::string pod_ref(const PodWorker& w) { return w.ns + "/" + w.name; }

  // ---- store and engine events (kubelet_events.cpp) -------------------------------------
  void on_recovered(Result<std::vector<engine::RecoveredContainer>> recovered);
  bool on_orphan_exit(const ContainerEvent& ev);
  void on_watch(const WatchEvent& ev);
  void sync_pod(const Pod& pod);
  void bind(const Pod& pod);
  void on_engine_event(const ContainerEvent& ev);
  bool still_served(const std::string& ip) const;
  void on_table();

  // ---- pod start (kubelet_pod_start.cpp) ------------------------------------------------
  void init_worker(PodWorker& w, const Pod& pod);
  void begin_adopted(PodWorker& w, const Pod& pod,
                     const std::vector<engine::RecoveredContainer>& adopted);
  void begin(PodWorker& w, const Pod& pod);
  void create_sandbox(PodWorker& w);
  void on_sandbox_failed(PodWorker& w, const std::string& message);

  // ---- container start (kubelet_container_start.cpp) ------------------------------------
  void start_container(PodWorker& w, size_t index);
  bool volumes_ready(PodWorker& w, size_t index);
  void on_image_error(PodWorker& w, size_t index, const std::string& message);
  void on_image(PodWorker& w, size_t index, const std::optional<engine::ImageConfig>& found);
  void on_started(PodWorker& w, size_t index, Result<std::string> r);
  void on_config_error(PodWorker& w, size_t index, const std::string& message);
  void on_config_change(const std::string& ns);
  void retry_later(PodWorker& w, size_t index, std::chrono::milliseconds delay);
  void set_waiting(PodWorker& w, ContainerRuntime& c, std::string reason, std::string message);

  // ---- probes (kubelet_probes.cpp) ------------------------------------------------------
  std::chrono::milliseconds running_for(const ContainerRuntime& c) const;
  ProbeSchedule schedule_of(const config::Probe& p, const ContainerRuntime& c,
                            std::optional<bool> initial) const;
  void start_probes(PodWorker& w, size_t index, bool ready_before);
  void start_liveness(PodWorker& w, size_t index);
  void on_probe_failed(PodWorker& w, size_t index, const char* which);
  void start_readiness(PodWorker& w, size_t index, bool ready_before);
  ProbeCheck probe_check(PodWorker& w, ContainerRuntime& c, const config::Probe& p);

  // ---- exits and restarts, a dead sandbox, image HEALTHCHECK (kubelet_restarts.cpp) -----
  void quiesce(ContainerRuntime& c);
  void on_exit(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev);
  // A container that is to run again: now, or after its back-off (CrashLoopBackOff).
  void schedule_restart(PodWorker& w, size_t index);
  void restart_container(PodWorker& w, size_t index);
  void on_sandbox_lost(PodWorker& w);
  void on_exit_sandbox_lost(PodWorker& w, ContainerRuntime& c,
                            config::ContainerStateTerminated term, bool restart);
  void recreate_sandbox(PodWorker& w);
  void on_health(PodWorker& w, ContainerRuntime& c, const ContainerEvent& ev);

  // ---- deletion (kubelet_deletion.cpp) --------------------------------------------------
  int64_t grace_of(const PodWorker& w) const;
  void begin_termination(PodWorker& w);
  void stop_containers(PodWorker& w);
  void on_removed(PodWorker& w);
  void check_finished(PodWorker& w);
  void backoff_forget(const PodWorker& w);
  void check_shutdown();

  // ---- status and events (kubelet_status.cpp) -------------------------------------------
  std::string container_uri(const std::string& id) const;
  config::PodStatus build_status(const PodWorker& w, const config::PodStatus& stored) const;
  void publish(PodWorker& w);
  void event(const PodWorker& w, const ContainerRuntime* c, const char* type,
             const std::string& reason, const std::string& message);

  // ---- lookups (kubelet.cpp) ------------------------------------------------------------
  PodWorker* worker(const std::string& uid);
  static size_t index_of(const PodWorker& w, const ContainerRuntime& c);

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

}  // namespace skiff::controller
