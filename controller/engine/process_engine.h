// The embedded engine: each container is a host process in its own session/process group,
// bound (by convention, through POD_IP) to a loopback pod address from 127.244.0.0/16.
//
// Exits are seen through pidfds watched by the io_context (no SIGCHLD handler, no polling).
// A container ends with its main process: when it exits, the rest of its process group is
// killed. Logs go to STATE_DIR/pods/<ns>_<name>_<uid>/<container>/<restart_count>.log.
//
// Containers outlive the daemon: they run in sessions of their own, so a kill -9 of the
// daemon (or its terminal closing) leaves them running. Each running container has a record
// in STATE_DIR/containers/<id>.json (container_record.h), written durably when it starts and
// removed when it ends; recover() takes back those whose pid still names the same process
// (pid and start time), re-reserves their pod addresses and watches them through pidfds.
// An adopted process is no longer our child, so its exit status comes from the kernel's
// PIDFD_INFO_EXIT (Linux 6.15+) once its new parent reaps it; on older kernels, or when
// nobody reaps it in time, the exit is reported with exit_code_unknown set.
//
// Volumes: a container with mounts runs in a mount namespace of its own (root needed) where
// each prepared source is bind-mounted at its mountPath. The processes share the host's root
// filesystem, so a missing mountPath is created on the host as an (empty) mount point; the
// ones skiff created are removed with the pod's sandbox when no other pod mounts there.
// Mount points of containers adopted after a daemon restart are not tracked (left in place).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "controller/engine/cgroup.h"
#include "controller/engine/container_record.h"
#include "controller/engine/engine.h"
#include "controller/engine/file_log_stream.h"
#include "controller/engine/image_store.h"
#include "controller/engine/ip_allocator.h"
#include "controller/engine/log_time_index.h"

namespace skiff::controller::engine {

struct ProcessEngineOptions {
  std::filesystem::path state_dir;
  std::string pod_cidr = "127.244.0.0/16";
};

class ProcessEngine : public Engine {
 public:
  // An invalid pod_cidr falls back to 127.244.0.0/16 (logged).
  ProcessEngine(boost::asio::io_context& io, ProcessEngineOptions options);
  // Kills whatever still runs (kill_all), so no process outlives the engine.
  ~ProcessEngine() override;
  ProcessEngine(const ProcessEngine&) = delete;
  ProcessEngine& operator=(const ProcessEngine&) = delete;

  std::string_view name() const override { return "process"; }
  std::string limits_unenforced() const override { return cgroups_.unavailable(); }
  void set_event_handler(EventHandler handler) override;
  void inspect_image(const std::string& ref, Done<std::optional<ImageConfig>> done) override;
  void create_sandbox(const SandboxRequest& request, Done<Sandbox> done) override;
  void remove_sandbox(const std::string& sandbox_id) override;
  void start_container(const ContainerRequest& request, Done<std::string> done) override;
  void stop_container(const std::string& container_id, std::chrono::seconds grace) override;
  void exec(const std::string& container_id, const std::vector<std::string>& argv,
            std::chrono::milliseconds timeout, std::function<void(ExecResult)> done) override;
  Result<std::string> logs(const std::string& pod_uid, const std::string& container_name,
                           bool previous) override;
  // Streams the run's log file; with follow, until that run ends (file_log_stream.h).
  // Timestamps and since use the times the engine records as the file grows
  // (log_time_index.h); output not yet recorded is timed when the stream reads it.
  Result<std::unique_ptr<LogStream>> open_log(const std::string& pod_uid,
                                              const std::string& container_name,
                                              const LogOptions& options) override;
  void recover(Done<std::vector<RecoveredContainer>> done) override;
  void kill_all() override;

  ImageStore& images() { return images_; }
  // The main process of a running container (tests and diagnostics); -1 when not running.
  pid_t pid_of(const std::string& container_id) const;

 private:
  struct Running {
    std::string id;
    std::string pod_uid;
    std::string container_name;
    pid_t pid = -1;
    bool exited = false;
    std::vector<std::pair<std::string, std::string>> env;
    std::string working_dir;
    std::unique_ptr<boost::asio::posix::stream_descriptor> pidfd;
    std::unique_ptr<boost::asio::steady_timer> kill_timer;
    bool adopted = false;          // started by an earlier daemon: not our child
    std::filesystem::path record;  // STATE_DIR/containers/<id>.json; empty: none written
    std::unique_ptr<boost::asio::steady_timer> exit_info_timer;  // adopted: waiting for reap
    int exit_info_attempts = 0;
    ContainerCgroup cgroup;     // its limits (cgroup.h); empty: it has none
    std::filesystem::path log;  // this run's log file
    // Ended with the run; wakes the log streams following it.
    std::shared_ptr<RunEnd> run_end = std::make_shared<RunEnd>();
  };
  struct SandboxRecord {
    std::string ip;
    std::string pod_uid;
    std::filesystem::path dir;  // STATE_DIR/pods/<ns>_<name>_<uid>
  };

  void watch_exit(const std::shared_ptr<Running>& c);
  // Removes an ended container's cgroups, retrying while killed stragglers still leave them.
  void release_cgroup(ContainerCgroup cgroup, int attempts_left);
  void on_exit(const std::shared_ptr<Running>& c);
  // An adopted container's exit: its status as the kernel tells it once reaped elsewhere.
  void on_adopted_exit(const std::shared_ptr<Running>& c);
  void finish_exit(const std::shared_ptr<Running>& c, int exit_code, int signal, bool unknown);
  void write_record(Running& c, ContainerRecord record);
  void drop_record(Running& c);
  // Takes back one recorded container, or says why not.
  std::optional<std::string> adopt(const ContainerRecord& record,
                                   std::vector<RecoveredContainer>& out);
  std::filesystem::path records_dir() const { return options_.state_dir / "containers"; }
  std::filesystem::path container_dir(const std::string& pod_uid,
                                      const std::string& container) const;
  void emit(ContainerEvent event);
  void note_mount_points(const std::string& pod_uid, const std::vector<Mount>& mounts);
  void remove_mount_points(const std::string& pod_uid);

  boost::asio::io_context& io_;
  ProcessEngineOptions options_;
  ImageStore images_;
  IpAllocator ips_;
  CgroupManager cgroups_;
  EventHandler handler_;
  LogTimeIndex log_times_{io_};                            // when each running container's log grew
  std::map<std::string, SandboxRecord> sandboxes_;         // by sandbox id
  std::map<std::string, std::filesystem::path> pod_dirs_;  // pod uid -> its state folder
  std::map<std::string, std::shared_ptr<Running>> containers_;  // running, by container id
  // Mount targets by path -> the pods mounting there; host paths skiff created as mount
  // points -> the pods that needed them (removed with the last one's sandbox).
  std::map<std::string, std::set<std::string>> mount_point_users_;
  std::map<std::string, std::set<std::string>> created_mount_points_;
  uint64_t next_id_ = 1;
  // Guards completions posted to the loop against running after the engine is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller::engine
