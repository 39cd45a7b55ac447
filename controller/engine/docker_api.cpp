#include "controller/engine/docker_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace skiff::controller::engine::docker {

using config::ApiError;
using config::Result;
using nlohmann::json;

namespace {

ApiError unexpected(std::string_view what, std::string_view why) {
  return ApiError{502,
                  "InternalError",
                  fmt::format("docker engine: unexpected reply to {}: {}", what, why),
                  {}};
}

std::optional<json> parse_object(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> str_list(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> str_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// Names in a pod are DNS labels already; this only keeps docker's name rules if they are not.
std::string name_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    out += ok ? c : '-';
  }
  return out;
}

json pod_labels(const std::string& daemon_id, const std::string& uid, const std::string& name,
                const std::string& ns, const char* role) {
  return json{{kLabelDaemon, daemon_id},
              {kLabelRole, role},
              {kLabelPodUid, uid},
              {kLabelPodName, name},
              {kLabelPodNamespace, ns}};
}

// The address on the container's network: NetworkSettings.IPAddress (the default bridge), else
// the first network that has one.
std::string network_ip(const json& container) {
  auto net = container.find("NetworkSettings");
  if (net == container.end() || !net->is_object()) return "";
  std::string ip = str(*net, "IPAddress");
  auto networks = net->find("Networks");
  if (ip.empty() && networks != net->end() && networks->is_object()) {
    for (const auto& [name, n] : networks->items()) {
      if (n.is_object() && !str(n, "IPAddress").empty()) return str(n, "IPAddress");
    }
  }
  return ip;
}

}  // namespace

Result<std::string> socket_from_docker_host(const char* docker_host) {
  if (!docker_host || !*docker_host) return std::string(kDefaultSocket);
  std::string_view host(docker_host);
  if (host.rfind("unix://", 0) == 0 && host.size() > 7) return std::string(host.substr(7));
  return ApiError::bad_request(
      fmt::format("DOCKER_HOST={}: skiff talks to dockerd over a unix socket only "
                  "(unix:///var/run/docker.sock)",
                  host));
}

std::string versioned(std::string_view path) {
  return "/" + std::string(kApiVersion) + std::string(path);
}

std::string query_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string filters(const std::vector<std::string>& labels, const std::vector<std::string>& types) {
  json f = json::object();
  if (!labels.empty()) f["label"] = labels;
  if (!types.empty()) f["type"] = types;
  return f.dump();
}

std::string sandbox_name(const SandboxRequest& pod) {
  return fmt::format("skiff_POD_{}_{}_{}", name_part(pod.pod_name), name_part(pod.pod_namespace),
                     name_part(pod.pod_uid));
}

std::string container_name(const ContainerRequest& r) {
  return fmt::format("skiff_{}_{}_{}_{}_{}", name_part(r.container_name), name_part(r.pod_name),
                     name_part(r.pod_namespace), name_part(r.pod_uid), r.restart_count);
}

std::string sandbox_create_body(const SandboxSpec& spec) {
  // The pod's containers join its network and IPC namespaces (IPC must be shareable for that).
  json host{
      {"NetworkMode", spec.network}, {"IpcMode", "shareable"}, {"RestartPolicy", {{"Name", "no"}}}};
  if (!spec.dns_servers.empty()) host["Dns"] = spec.dns_servers;
  if (!spec.dns_search.empty()) host["DnsSearch"] = spec.dns_search;
  if (!spec.dns_options.empty()) host["DnsOptions"] = spec.dns_options;
  json body{{"Image", spec.pause_image},
            {"Entrypoint", json::array({"/pause"})},
            {"Cmd", json::array()},
            {"Hostname", spec.pod.hostname.empty() ? spec.pod.pod_name : spec.pod.hostname},
            {"Labels", pod_labels(spec.daemon_id, spec.pod.pod_uid, spec.pod.pod_name,
                                  spec.pod.pod_namespace, kRoleSandbox)},
            {"HostConfig", host}};
  return body.dump();
}

std::string container_create_body(const ContainerRequest& r, const std::string& daemon_id,
                                  const std::string& sandbox_container_id) {
  json env = json::array();
  for (const auto& [k, v] : r.env) env.push_back(k + "=" + v);
  json labels = pod_labels(daemon_id, r.pod_uid, r.pod_name, r.pod_namespace, kRoleContainer);
  labels[kLabelContainerName] = r.container_name;
  labels[kLabelRestartCount] = std::to_string(r.restart_count);
  const std::string joined = "container:" + sandbox_container_id;
  json body{{"Image", r.image},
            {"Entrypoint", r.argv},
            {"Cmd", json::array()},
            {"Env", env},
            {"Labels", labels},
            {"HostConfig",
             // docker-init as pid 1 forwards SIGTERM to the program and reaps orphans; a
             // program as pid 1 itself would ignore SIGTERM and wait out the grace period.
             {{"NetworkMode", joined},
              {"IpcMode", joined},
              {"Init", true},
              {"RestartPolicy", {{"Name", "no"}}}}}};
  if (!r.working_dir.empty()) body["WorkingDir"] = r.working_dir;
  // Limits as dockershim set them: memory with no swap on top, CPU as a CFS quota in
  // NanoCpus, and the request as the share weight.
  if (r.limits.memory_bytes > 0) {
    body["HostConfig"]["Memory"] = r.limits.memory_bytes;
    body["HostConfig"]["MemorySwap"] = r.limits.memory_bytes;
  }
  if (r.limits.cpu_milli > 0) body["HostConfig"]["NanoCpus"] = r.limits.cpu_milli * 1000000;
  if (const int64_t share =
          r.limits.cpu_request_milli > 0 ? r.limits.cpu_request_milli : r.limits.cpu_milli;
      share > 0) {
    body["HostConfig"]["CpuShares"] = std::max<int64_t>(2, share * 1024 / 1000);
  }
  if (!r.mounts.empty()) {
    // The kubelet prepared every source on the host (an emptyDir of medium Memory is a tmpfs
    // there), so each is a bind: the pod's containers share it, as with kubelet and CRI.
    json mounts = json::array();
    for (const auto& m : r.mounts) {
      mounts.push_back({{"Type", "bind"},
                        {"Source", m.source},
                        {"Target", m.target},
                        {"ReadOnly", m.read_only},
                        {"BindOptions", {{"Propagation", "rprivate"}}}});
    }
    body["HostConfig"]["Mounts"] = std::move(mounts);
  }
  return body.dump();
}

std::string exec_create_body(const std::vector<std::string>& argv) {
  return json{{"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}, {"Cmd", argv}}.dump();
}

std::string error_message(int status, std::string_view body) {
  if (auto j = parse_object(body)) {
    std::string m = str(*j, "message");
    if (!m.empty()) return m;
  }
  std::string text(body);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty()) return text;
  return fmt::format("HTTP status {}", status);
}

Result<std::optional<ImageConfig>> parse_image_inspect(int status, std::string_view body) {
  if (status == 404) return std::optional<ImageConfig>{};
  if (status != 200) {
    return ApiError{status >= 500 ? 502 : status, "InternalError", error_message(status, body), {}};
  }
  auto j = parse_object(body);
  if (!j) return unexpected("image inspect", "not a JSON object");
  ImageConfig image;
  image.id = str(*j, "Id");
  if (image.id.empty()) return unexpected("image inspect", "no Id");
  auto tags = str_list(*j, "RepoTags");
  image.ref = tags.empty() ? image.id : tags.front();
  auto config = j->find("Config");
  if (config != j->end() && config->is_object()) {
    image.entrypoint = str_list(*config, "Entrypoint");
    image.cmd = str_list(*config, "Cmd");
    image.working_dir = str(*config, "WorkingDir");
    for (const auto& e : str_list(*config, "Env")) {
      auto eq = e.find('=');
      if (eq == std::string::npos) {
        image.env.emplace_back(e, "");
      } else {
        image.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
      }
    }
    auto ports = config->find("ExposedPorts");
    if (ports != config->end() && ports->is_object()) {
      for (const auto& [port, unused] : ports->items()) image.exposed_ports.push_back(port);
    }
  }
  return std::optional<ImageConfig>(std::move(image));
}

std::string whole_seconds(std::string_view t) {
  if (t.size() < 19 || t.rfind("0001-01-01", 0) == 0) return "";
  return std::string(t.substr(0, 19)) + "Z";
}

Result<ContainerInfo> parse_container_inspect(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return unexpected("container inspect", "not a JSON object");
  ContainerInfo c;
  c.id = str(*j, "Id");
  if (c.id.empty()) return unexpected("container inspect", "no Id");
  c.name = str(*j, "Name");
  if (!c.name.empty() && c.name.front() == '/') c.name.erase(0, 1);
  auto state = j->find("State");
  if (state == j->end() || !state->is_object()) {
    return unexpected("container inspect", "no State");
  }
  c.state = str(*state, "Status");
  c.running = state->value("Running", false) && c.state == "running";
  auto code = state->find("ExitCode");
  if (code != state->end() && code->is_number_integer()) c.exit_code = code->get<int>();
  c.oom_killed = state->value("OOMKilled", false);
  c.started_at = whole_seconds(str(*state, "StartedAt"));
  c.finished_at = whole_seconds(str(*state, "FinishedAt"));
  auto health = state->find("Health");
  if (health != state->end() && health->is_object()) {
    c.health = str(*health, "Status");
    auto log = health->find("Log");
    if (log != health->end() && log->is_array() && !log->empty() && log->back().is_object()) {
      c.health_output = str(log->back(), "Output");
    }
  }
  auto config = j->find("Config");
  if (config != j->end() && config->is_object()) {
    c.labels = str_map(*config, "Labels");
    c.image = str(*config, "Image");
  }
  c.ip = network_ip(*j);
  return c;
}

Result<std::vector<ContainerInfo>> parse_container_list(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) return unexpected("container list", "not a JSON array");
  std::vector<ContainerInfo> out;
  for (const auto& item : j) {
    if (!item.is_object()) return unexpected("container list", "an entry is not an object");
    ContainerInfo c;
    c.id = str(item, "Id");
    if (c.id.empty()) return unexpected("container list", "an entry has no Id");
    auto names = str_list(item, "Names");
    if (!names.empty()) c.name = names.front().substr(names.front().rfind('/') + 1);
    c.image = str(item, "Image");
    c.state = str(item, "State");
    c.running = c.state == "running";
    const std::string status = str(item, "Status");
    c.health = status.find("(unhealthy)") != std::string::npos          ? "unhealthy"
               : status.find("(healthy)") != std::string::npos          ? "healthy"
               : status.find("(health: starting)") != std::string::npos ? "starting"
                                                                        : "";
    c.labels = str_map(item, "Labels");
    c.ip = network_ip(item);
    auto created = item.find("Created");
    if (created != item.end() && created->is_number_integer()) c.created = created->get<int64_t>();
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::string> parse_id(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return unexpected("create", "not a JSON object");
  std::string id = str(*j, "Id");
  if (id.empty()) return unexpected("create", "no Id");
  return id;
}

Result<int> parse_exec_exit_code(std::string_view body) {
  auto j = parse_object(body);
  if (!j) return unexpected("exec inspect", "not a JSON object");
  if (j->value("Running", false)) return -1;
  auto code = j->find("ExitCode");
  if (code == j->end() || !code->is_number_integer()) {
    return unexpected("exec inspect", "no ExitCode");
  }
  return code->get<int>();
}

Result<Event> parse_event(std::string_view line) {
  auto j = parse_object(line);
  if (!j) return unexpected("events", "a line is not a JSON object");
  Event e;
  e.type = str(*j, "Type");
  if (e.type.empty()) e.type = str(*j, "type");
  e.action = str(*j, "Action");
  if (e.action.empty()) e.action = str(*j, "status");
  auto actor = j->find("Actor");
  if (actor != j->end() && actor->is_object()) {
    e.id = str(*actor, "ID");
    e.attributes = str_map(*actor, "Attributes");
  }
  if (e.id.empty()) e.id = str(*j, "id");
  if (e.action.empty() || e.id.empty()) return unexpected("events", "no Action or Actor.ID");
  if (auto it = e.attributes.find("exitCode"); it != e.attributes.end()) {
    try {
      e.exit_code = std::stoi(it->second);
    } catch (const std::exception&) {
      return unexpected("events", "exitCode is not a number: " + it->second);
    }
  }
  auto nano = j->find("timeNano");
  if (nano != j->end() && nano->is_number_integer()) e.time_nano = nano->get<int64_t>();
  return e;
}

std::optional<bool> health_verdict(std::string_view action) {
  constexpr std::string_view kPrefix = "health_status:";
  if (action.rfind(kPrefix, 0) != 0) return std::nullopt;
  action.remove_prefix(kPrefix.size());
  while (!action.empty() && action.front() == ' ') action.remove_prefix(1);
  if (action == "healthy") return true;
  if (action == "unhealthy") return false;
  return std::nullopt;
}

Result<BuildMessage> parse_build_line(std::string_view line) {
  auto j = parse_object(line);
  if (!j) return unexpected("build", "a progress line is not a JSON object");
  BuildMessage m;
  m.stream = str(*j, "stream");
  m.error = str(*j, "error");
  if (m.error.empty()) {
    auto detail = j->find("errorDetail");
    if (detail != j->end() && detail->is_object()) m.error = str(*detail, "message");
  }
  auto aux = j->find("aux");
  if (aux != j->end() && aux->is_object()) m.image_id = str(*aux, "ID");
  if (m.stream.empty()) {
    // Pull-style progress ({"status": "...", "progress": "..."}) is shown as a line.
    std::string status = str(*j, "status");
    if (!status.empty()) m.stream = status + "\n";
  }
  return m;
}

void StreamDemuxer::feed(std::string_view data, std::string& out) {
  auto keep = [&](std::string_view part) {
    if (out.size() >= limit_) return;
    out.append(part.substr(0, std::min(part.size(), limit_ - out.size())));
  };
  if (!decided_ && !data.empty()) {
    // A frame starts with the stream number (0, 1 or 2); text output does not.
    const auto first = static_cast<unsigned char>(data.front());
    raw_ = first > 2;
    decided_ = true;
  }
  if (raw_) return keep(data);
  while (!data.empty()) {
    if (frame_left_ == 0) {
      const size_t need = 8 - header_.size();
      header_.append(data.substr(0, need));
      data.remove_prefix(std::min(need, data.size()));
      if (header_.size() < 8) return;
      frame_left_ = (size_t{static_cast<unsigned char>(header_[4])} << 24) |
                    (size_t{static_cast<unsigned char>(header_[5])} << 16) |
                    (size_t{static_cast<unsigned char>(header_[6])} << 8) |
                    size_t{static_cast<unsigned char>(header_[7])};
      header_.clear();
      continue;
    }
    const size_t n = std::min(frame_left_, data.size());
    keep(data.substr(0, n));
    data.remove_prefix(n);
    frame_left_ -= n;
  }
}

}  // namespace skiff::controller::engine::docker
