// The docker engine: pods as Docker containers, driven through the Docker Engine API.
//
// Each pod gets a sandbox container (the pause image, see docker_pause.h) on the bridge
// network: it holds the pod's network namespace, hostname and DNS settings, and its address
// is the pod IP. Each container of the pod's spec is one Docker container that joins the
// sandbox's network and IPC namespaces, labelled with the pod's name, namespace and uid, its
// container name and restart count, and the daemon's id.
//
// Lifecycle comes from dockerd's /events stream (filtered to this daemon's label): `die`
// (exit code, with `oom` and State.OOMKilled) becomes a kExited event, `health_status` a
// kHealth event (the verdict of the image's HEALTHCHECK, with the failing check's output), and
// the death of a sandbox a kSandboxExited event (its containers lost their network; the
// kubelet stops them and starts the pod in a new sandbox). When the stream drops
// it is reconnected with back-off, and every reconnect relists this daemon's containers, so
// a death while the stream was down is still reported. A stop also confirms the exit by
// inspecting, so no exit depends on the stream alone.
//
// Threading: as Engine says, everything happens on the io_context given at construction.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/engine/docker_api.h"
#include "controller/engine/docker_client.h"
#include "controller/engine/engine.h"

namespace skiff::controller::engine {

struct DockerEngineOptions {
  std::string socket_path = std::string(docker::kDefaultSocket);
  // The value of the io.skiff.daemon label: which daemon's containers these are.
  std::string daemon_id = "skiff";
  std::string network = "bridge";
  // The pods' resolver: nameservers, and the cluster domain for the search list
  // (<ns>.svc.<domain>, svc.<domain>, <domain>); empty leaves docker's defaults.
  std::vector<std::string> dns_servers;
  std::string cluster_domain;
  std::vector<std::string> dns_options = {"ndots:5"};
  std::chrono::milliseconds call_timeout{30000};
  std::chrono::milliseconds reconnect_min{250};
  std::chrono::milliseconds reconnect_max{8000};
};

class DockerEngine : public Engine {
 public:
  // Blocking, for daemon start: checks that dockerd answers on `socket_path` within `timeout`
  // and speaks API v1.41, and imports the pause image when it is missing. Returns dockerd's
  // version, or why it cannot be used.
  static Result<std::string> prepare(const std::string& socket_path,
                                     std::chrono::milliseconds timeout);

  DockerEngine(boost::asio::io_context& io, DockerEngineOptions options);
  // Removes every container this engine runs (kill_all).
  ~DockerEngine() override;
  DockerEngine(const DockerEngine&) = delete;
  DockerEngine& operator=(const DockerEngine&) = delete;

  std::string_view name() const override { return "docker"; }
  // "" while the /events stream is connected; else why not (no death can be seen then).
  std::string health() const override;
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
  // dockerd's own log stream (docker_log_stream.h): follow, tail, since and timestamps as
  // dockerd keeps them.
  Result<std::unique_ptr<LogStream>> open_log(const std::string& pod_uid,
                                              const std::string& container_name,
                                              const LogOptions& options) override;
  void recover(Done<std::vector<RecoveredContainer>> done) override;
  void kill_all() override;

  // Whether the /events stream is connected now (tests and /readyz).
  bool events_connected() const { return events_connected_; }

 private:
  struct Container {
    std::string id;
    std::string pod_uid;
    std::string name;
    int restart_count = 0;
    bool starting = true;    // created, start not yet confirmed to the kubelet
    bool reporting = false;  // exit being inspected
    bool exited = false;     // kExited emitted
    bool died_while_starting = false;
    bool oom = false;
    // The HEALTHCHECK verdict last reported to the kubelet: "" (none yet), "healthy" or
    // "unhealthy". Only changes are reported.
    std::string health = {};
    bool health_while_starting = false;
  };
  struct SandboxRecord {
    std::string ip;
    std::string pod_uid;
    bool dead = false;  // died; kSandboxExited emitted; kept until remove_sandbox
  };
  using ReplyDone = std::function<void(Result<docker::Reply>)>;

  void call(boost::beast::http::verb method, std::string path, std::string body, ReplyDone done,
            std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // The container ids of a pod's container, oldest run first (this engine's history, else
  // dockerd's list by label: a blocking call, for pods of an earlier daemon).
  Result<std::vector<std::string>> run_ids(const std::string& pod_uid,
                                           const std::string& container_name);
  void create_named(const std::string& name, std::string body, Done<std::string> done,
                    bool retried = false);
  void start_created(const std::string& id, Done<bool> done);
  void remove_container(const std::string& id);
  void forget_pod(const std::string& pod_uid);
  void prune_history(const std::string& pod_uid, const std::string& name);
  void on_died(const std::string& id, std::optional<int> exit_code);
  void on_sandbox_died(const std::string& id);
  // A health_status event (or a relist) says the verdict may have changed: the container's
  // inspect has the current verdict and the check's output, which is what gets reported.
  void on_health(const std::string& id, std::optional<bool> said);
  void report_health(const std::string& id, const std::string& status, const std::string& output);
  void emit(ContainerEvent event);
  template <class T>
  void post_done(Done<T> done, Result<T> result);

  // The /events watch (docker_engine_events.cpp).
  void watch_events();
  void on_event_line(std::string_view line);
  void on_events_lost(const std::string& why);
  void relist();

  boost::asio::io_context& io_;
  DockerEngineOptions options_;
  docker::Client client_;
  EventHandler handler_;
  std::map<std::string, SandboxRecord> sandboxes_;  // by the sandbox container's id
  std::map<std::string, Container> containers_;     // by docker id: this daemon's containers
  // Container ids of each (pod uid, container name) in start order: the last is the current
  // (or last) run, the one before it the previous run, for `logs -p`. Older ones are removed.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> history_;

  std::shared_ptr<docker::StreamHandle> events_;
  docker::LineSplitter event_lines_;
  boost::asio::steady_timer reconnect_timer_;
  std::chrono::milliseconds reconnect_delay_;
  bool events_connected_ = false;
  bool events_lost_logged_ = false;
  std::string events_down_reason_ = "connecting to dockerd's event stream";
  // Guards completions against running after the engine is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller::engine
