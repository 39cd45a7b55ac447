// The Docker Engine API (v1.41) as skiff speaks it: request targets and bodies built from
// engine requests, and replies and event-stream lines parsed into plain structs. Pure: no
// I/O. Every parser fails with a message (never throws) on malformed or unexpected JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/engine/engine.h"

namespace skiff::controller::engine::docker {

inline constexpr std::string_view kApiVersion = "v1.41";
inline constexpr std::string_view kDefaultSocket = "/var/run/docker.sock";

// Labels on every container skiff creates. kDaemon holds the creating daemon's id (derived
// from its state dir), so daemons sharing one dockerd never touch each other's containers.
inline constexpr const char* kLabelDaemon = "io.skiff.daemon";
inline constexpr const char* kLabelRole = "io.skiff.role";  // "sandbox" or "container"
inline constexpr const char* kLabelPodName = "io.skiff.pod.name";
inline constexpr const char* kLabelPodNamespace = "io.skiff.pod.namespace";
inline constexpr const char* kLabelPodUid = "io.skiff.pod.uid";
inline constexpr const char* kLabelContainerName = "io.skiff.container.name";
inline constexpr const char* kLabelRestartCount = "io.skiff.container.restart-count";
inline constexpr const char* kRoleSandbox = "sandbox";
inline constexpr const char* kRoleContainer = "container";

// The unix socket from DOCKER_HOST ("unix:///path"); unset or empty gives the default socket.
// Other schemes (tcp://, ssh://) are an error that says so.
config::Result<std::string> socket_from_docker_host(const char* docker_host);

// "/v1.41" + path.
std::string versioned(std::string_view path);
// Percent-encoding for a query parameter value.
std::string query_escape(std::string_view value);
// The `filters` query value: {"label":[...],"type":[...]} (empty lists left out).
std::string filters(const std::vector<std::string>& labels,
                    const std::vector<std::string>& types = {});

// What the pod's sandbox (pause) container is created with: it holds the pod's network
// namespace, hostname and DNS settings; every container of the pod joins it.
struct SandboxSpec {
  std::string daemon_id;
  std::string pause_image;
  std::string network = "bridge";
  SandboxRequest pod;
  std::vector<std::string> dns_servers;  // empty: docker's default
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
};

// Container names as `docker ps` shows them (k8s_… in Kubernetes, skiff_… here).
std::string sandbox_name(const SandboxRequest& pod);
std::string container_name(const ContainerRequest& request);

std::string sandbox_create_body(const SandboxSpec& spec);
// argv becomes the Entrypoint with an empty Cmd (the kubelet already resolved ENTRYPOINT, CMD,
// command and args); env, working dir and labels are the request's; the network, IPC and UTS
// come from the sandbox container `sandbox_container_id`.
std::string container_create_body(const ContainerRequest& request, const std::string& daemon_id,
                                  const std::string& sandbox_container_id);
std::string exec_create_body(const std::vector<std::string>& argv);

// The message of an error reply: dockerd's {"message": "..."} verbatim, else the body text,
// else the HTTP status.
std::string error_message(int status, std::string_view body);

// GET /images/{name}/json: 404 gives nullopt.
config::Result<std::optional<ImageConfig>> parse_image_inspect(int status, std::string_view body);

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;
  std::string state;  // created, running, paused, restarting, removing, exited, dead
  bool running = false;
  int exit_code = 0;
  bool oom_killed = false;
  std::string started_at;   // RFC 3339, whole seconds; "" if never
  std::string finished_at;  // likewise
  std::string ip;           // on the container's first network, "" if none
  int64_t created = 0;      // list only: creation time, seconds since the epoch
  std::map<std::string, std::string> labels;
  // The image HEALTHCHECK's verdict: "" (none), "starting", "healthy" or "unhealthy"; the
  // list has it from its Status text ("Up 3 minutes (unhealthy)").
  std::string health;
  std::string health_output;  // inspect only: the output of the latest check
};

// GET /containers/{id}/json.
config::Result<ContainerInfo> parse_container_inspect(std::string_view body);
// GET /containers/json?all=1: id, name, state, labels, IP, created (no exit details).
config::Result<std::vector<ContainerInfo>> parse_container_list(std::string_view body);
// POST /containers/create and /containers/{id}/exec: the "Id".
config::Result<std::string> parse_id(std::string_view body);
// GET /exec/{id}/json: ExitCode (-1 while it still runs).
config::Result<int> parse_exec_exit_code(std::string_view body);

struct Event {
  std::string type;    // "container", ...
  std::string action;  // "start", "die", "oom", "health_status: healthy", ...
  std::string id;
  std::optional<int> exit_code;                   // die: attribute exitCode
  std::map<std::string, std::string> attributes;  // includes the container's labels
  int64_t time_nano = 0;
};

// One line of GET /events.
config::Result<Event> parse_event(std::string_view line);
// The verdict of a "health_status: healthy|unhealthy" action: true, false, or nullopt for
// any other action (including "health_status: starting").
std::optional<bool> health_verdict(std::string_view action);

// One line of POST /build's progress stream.
struct BuildMessage {
  std::string stream;    // output to show (may hold several lines)
  std::string error;     // the build failed with this message
  std::string image_id;  // aux.ID: sha256:...
};
config::Result<BuildMessage> parse_build_line(std::string_view line);

// Splits a byte stream into lines as they complete (the events and build streams are
// newline-delimited JSON); the last partial line is kept for the next feed.
class LineSplitter {
 public:
  template <class F>
  void feed(std::string_view data, F&& on_line) {
    buffer_.append(data);
    size_t start = 0;
    for (size_t nl; (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(buffer_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) on_line(line);
    }
    buffer_.erase(0, start);
  }
  const std::string& rest() const { return buffer_; }

 private:
  std::string buffer_;
};

// Docker's multiplexed stdout/stderr framing (non-TTY logs and exec): an 8-byte header (stream,
// 0, 0, 0, big-endian length) before each frame. Frames may be split across feeds. Both
// streams are appended to `out` in arrival order; at most `limit` bytes are kept.
class StreamDemuxer {
 public:
  explicit StreamDemuxer(size_t limit = SIZE_MAX) : limit_(limit) {}
  void feed(std::string_view data, std::string& out);
  // Whether the stream looked like raw (TTY) output rather than frames; then it is passed on
  // unchanged.
  bool raw() const { return raw_; }

 private:
  size_t limit_;
  std::string header_;
  size_t frame_left_ = 0;
  bool raw_ = false;
  bool decided_ = false;
};

// Docker's timestamps ("2026-11-26T00:16:08.676245441Z") as RFC 3339 whole seconds; "" for
// the zero time docker reports for "never" ("0001-01-01T00:00:00Z").
std::string whole_seconds(std::string_view docker_time);

}  // namespace skiff::controller::engine::docker
