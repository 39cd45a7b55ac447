// The container engine seam: what the kubelet needs from whatever runs containers.
// Implementations: process_engine (embedded, host processes) and, later, docker_engine.
//
// Threading: every call is made on the controller loop, and every completion handler and
// event is delivered on that loop (the io_context the engine was built with).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/status.h"

namespace skiff::controller::engine {

using config::ApiError;
using config::Result;

// What an image says about running it (Docker's image config).
struct ImageConfig {
  std::string ref;  // "flask-kubernetes:latest"
  std::string id;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;  // for the process engine: the host folder the image was built from
  std::vector<std::string> exposed_ports;
};

struct SandboxRequest {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string hostname;
};

// The pod's network identity. For the process engine: an address from 127.244.0.0/16.
struct Sandbox {
  std::string id;
  std::string ip;
};

// One volume mount of a container: `source` (a host path, already prepared by the kubelet's
// volume manager) appears at `target` inside the container. The process engine binds it in
// the container's own mount namespace; docker gets it as a bind mount.
struct Mount {
  std::string source;  // absolute host path (a subPath already joined)
  std::string target;  // absolute path in the container (mountPath)
  bool read_only = false;
  bool tmpfs = false;  // the source is a tmpfs the kubelet mounted (emptyDir medium Memory)
  bool operator==(const Mount&) const = default;
};

// A container's resources.limits and requests.cpu, parsed (config/quantity.h); 0: none.
struct ResourceLimits {
  int64_t memory_bytes = 0;       // limits.memory
  int64_t cpu_milli = 0;          // limits.cpu
  int64_t cpu_request_milli = 0;  // requests.cpu (the CPU share weight)
  bool operator==(const ResourceLimits&) const = default;
};

struct ContainerRequest {
  std::string sandbox_id;
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string container_name;
  std::string image;
  int restart_count = 0;
  std::vector<std::string> argv;  // final: image ENTRYPOINT/CMD and spec command/args resolved
  std::vector<std::pair<std::string, std::string>> env;  // final, in order
  std::string working_dir;
  std::string pod_ip;
  std::vector<Mount> mounts;  // in mount order (parents before the paths under them)
  ResourceLimits limits;
};

struct ContainerEvent {
  // kHealth: the image's HEALTHCHECK changed its verdict on a running container (docker).
  // kSandboxExited: the pod's sandbox died (container_id is the sandbox's id, container_name
  // empty); its containers lost their network and the pod must get a new one.
  enum class Type { kStarted, kExited, kHealth, kSandboxExited };
  Type type = Type::kStarted;
  std::string container_id;
  std::string pod_uid;
  std::string container_name;
  int exit_code = 0;  // kExited: the exit status, or 128 + signal
  int signal = 0;     // kExited: the terminating signal, 0 if it exited
  bool oom_killed = false;
  std::string time;  // RFC 3339
  // kExited of a container adopted from an earlier daemon whose exit status could not be
  // learnt (it was not our child); exit_code is then 255.
  bool exit_code_unknown = false;
  // kHealth: the verdict, and the failing check's output when unhealthy.
  bool healthy = true;
  std::string message = {};
};

// A container an earlier daemon started that still runs. The engine has taken it back (it
// watches its exit and holds its sandbox and address), so the kubelet adopts it rather than
// starting it anew, or stops it when no pod wants it any more.
struct RecoveredContainer {
  std::string container_id;
  std::string sandbox_id;
  std::string pod_ip;
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string container_name;
  int restart_count = 0;
  std::string started_at;  // RFC 3339
  bool unhealthy = false;  // its image's HEALTHCHECK says unhealthy now
};

struct ExecResult {
  int exit_code = -1;  // -1: could not run or timed out
  std::string output;  // stdout and stderr, truncated
};

// What a log request selects (the API server's PodLogOptions, less limitBytes, which the API
// server applies to whatever stream it gets).
struct LogOptions {
  bool previous = false;               // the run before the last restart
  bool follow = false;                 // keep streaming the run's new output until the run ends
  std::optional<uint64_t> tail_lines;  // only the last N lines present when the stream opens
  // Only lines written at or after this time (RFC 3339 semantics, UTC), and each line prefixed
  // with its RFC 3339 nano time and a space.
  std::optional<std::chrono::system_clock::time_point> since;
  bool timestamps = false;
};

// A container's output, read at the reader's pace: nothing is read from the source before the
// reader asks for it, so a slow reader never makes the engine buffer. Destroying the stream stops
// it: no callback runs afterwards and its files or connections are released.
class LogStream {
 public:
  // The next bytes (never empty), or an empty string once the stream has ended (the followed
  // run ended, or everything selected was read), or an error (the stream is then over).
  using ReadHandler = std::function<void(Result<std::string>)>;
  virtual ~LogStream() = default;
  // Delivers on the engine's loop (the engines' own streams never inside the call; the
  // default snapshot stream of Engine::open_log may). One read at a time.
  virtual void read(ReadHandler done) = 0;
};

class Engine {
 public:
  using EventHandler = std::function<void(const ContainerEvent&)>;
  template <class T>
  using Done = std::function<void(Result<T>)>;

  virtual ~Engine() = default;

  virtual std::string_view name() const = 0;  // "process", "docker"
  // Why the engine cannot run containers now ("" when it can), for /readyz. Must not block:
  // an engine behind a daemon reports what its latest call or event stream found.
  virtual std::string health() const { return {}; }
  // Why the engine cannot enforce resource limits ("" when it can); the kubelet then runs the
  // container anyway and says so in a Warning event.
  virtual std::string limits_unenforced() const { return {}; }
  virtual void set_event_handler(EventHandler handler) = 0;

  // nullopt: the image is not present locally (ErrImageNeverPull under pull policy Never).
  virtual void inspect_image(const std::string& ref, Done<std::optional<ImageConfig>> done) = 0;
  virtual void create_sandbox(const SandboxRequest& request, Done<Sandbox> done) = 0;
  // Frees the sandbox's address; its containers must have stopped.
  virtual void remove_sandbox(const std::string& sandbox_id) = 0;
  // Starts a container; done gets its id. A kStarted event follows, and a kExited event when
  // it ends for any reason (including stop_container).
  virtual void start_container(const ContainerRequest& request, Done<std::string> done) = 0;
  // SIGTERM to the container's processes, SIGKILL after `grace`. Idempotent.
  virtual void stop_container(const std::string& container_id, std::chrono::seconds grace) = 0;
  // Runs argv inside the container (exec probes); killed after `timeout`.
  virtual void exec(const std::string& container_id, const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout, std::function<void(ExecResult)> done) = 0;
  // The container's output (stdout and stderr); previous: the run before the last restart.
  virtual Result<std::string> logs(const std::string& pod_uid, const std::string& container_name,
                                   bool previous) = 0;
  // The container's output as a stream (GET .../log, with or without follow). Errors known at
  // once (no such log) are returned here so the API can answer them as a status; later ones
  // end the stream. The default serves the logs() snapshot, without follow, since or
  // timestamps (for engines that keep no more).
  virtual Result<std::unique_ptr<LogStream>> open_log(const std::string& pod_uid,
                                                      const std::string& container_name,
                                                      const LogOptions& options);
  // Finds the containers an earlier daemon left running (process engine: its records in the
  // state dir, checked by pid and process start time, never pid alone; docker: containers with
  // skiff's labels) and takes them back. Called once, before the first start_container.
  virtual void recover(Done<std::vector<RecoveredContainer>> done) = 0;
  // Kills every container at once (SIGKILL) and waits for them; for daemon exit paths that
  // cannot wait for graceful stops.
  virtual void kill_all() = 0;
};

}  // namespace skiff::controller::engine
