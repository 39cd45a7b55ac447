#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

void read(const json& j, const std::string& p, EmptyDirVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "medium", v.medium);
  if (const json* size = find(j, "sizeLimit"))
    read_quantity(*size, at(p, "sizeLimit"), v.size_limit);
}

void read(const json& j, const std::string& p, HostPathVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "path", v.path);
  field(j, p, "type", v.type);
}

void read(const json& j, const std::string& p, KeyToPath& v) {
  expect_object(j, p);
  field(j, p, "key", v.key);
  field(j, p, "path", v.path);
  field(j, p, "mode", v.mode);
}

void read(const json& j, const std::string& p, ConfigMapVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "items", v.items);
  field(j, p, "defaultMode", v.default_mode);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, SecretVolumeSource& v) {
  expect_object(j, p);
  field(j, p, "secretName", v.secret_name);
  field(j, p, "items", v.items);
  field(j, p, "defaultMode", v.default_mode);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, Volume& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "emptyDir", v.empty_dir);
  field(j, p, "hostPath", v.host_path);
  field(j, p, "configMap", v.config_map);
  field(j, p, "secret", v.secret);
}

void read(const json& j, const std::string& p, PodSpec& v) {
  expect_object(j, p);
  field(j, p, "containers", v.containers);
  field(j, p, "volumes", v.volumes);
  field(j, p, "restartPolicy", v.restart_policy);
  field(j, p, "terminationGracePeriodSeconds", v.termination_grace_period_seconds);
  field(j, p, "nodeName", v.node_name);
  field(j, p, "hostname", v.hostname);
  field(j, p, "subdomain", v.subdomain);
}

void read(const json& j, const std::string& p, PodTemplateSpec& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
}

void read(const json& j, const std::string& p, ContainerStateWaiting& v) {
  expect_object(j, p);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
}
void read(const json& j, const std::string& p, ContainerStateRunning& v) {
  expect_object(j, p);
  field(j, p, "startedAt", v.started_at);
}
void read(const json& j, const std::string& p, ContainerStateTerminated& v) {
  expect_object(j, p);
  field(j, p, "exitCode", v.exit_code);
  field(j, p, "signal", v.signal);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
  field(j, p, "startedAt", v.started_at);
  field(j, p, "finishedAt", v.finished_at);
  field(j, p, "containerID", v.container_id);
}
void read(const json& j, const std::string& p, ContainerState& v) {
  expect_object(j, p);
  field(j, p, "waiting", v.waiting);
  field(j, p, "running", v.running);
  field(j, p, "terminated", v.terminated);
}

void read(const json& j, const std::string& p, ContainerStatus& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "state", v.state);
  field(j, p, "lastState", v.last_state);
  field(j, p, "ready", v.ready);
  field(j, p, "started", v.started);
  field(j, p, "restartCount", v.restart_count);
  field(j, p, "image", v.image);
  field(j, p, "imageID", v.image_id);
  field(j, p, "containerID", v.container_id);
}

void read(const json& j, const std::string& p, PodStatus& v) {
  expect_object(j, p);
  field(j, p, "phase", v.phase);
  field(j, p, "conditions", v.conditions);
  field(j, p, "containerStatuses", v.container_statuses);
  field(j, p, "hostIP", v.host_ip);
  field(j, p, "podIP", v.pod_ip);
  if (const json* ips = find(j, "podIPs")) {
    const std::string path = at(p, "podIPs");
    if (!ips->is_array()) type_error(path, "array", *ips);
    v.pod_ips.clear();
    for (size_t i = 0; i < ips->size(); ++i) {
      const json& item = (*ips)[i];
      expect_object(item, item_path(path, i));
      std::string ip;
      field(item, item_path(path, i), "ip", ip);
      v.pod_ips.push_back(std::move(ip));
    }
  }
  field(j, p, "startTime", v.start_time);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
}

void read(const json& j, const std::string& p, Pod& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}

}  // namespace json_detail

void to_json(json& j, const KeyToPath& v) {
  j = json::object();
  j["key"] = v.key;
  j["path"] = v.path;
  if (v.mode) j["mode"] = *v.mode;
}

void to_json(json& j, const Volume& v) {
  j = json::object();
  j["name"] = v.name;
  if (v.empty_dir) {
    json e = json::object();
    put(e, "medium", v.empty_dir->medium);
    put(e, "sizeLimit", v.empty_dir->size_limit);
    j["emptyDir"] = std::move(e);
  }
  if (v.host_path) {
    json h = json::object();
    h["path"] = v.host_path->path;
    put(h, "type", v.host_path->type);
    j["hostPath"] = std::move(h);
  }
  if (v.config_map) {
    json c = json::object();
    c["name"] = v.config_map->name;
    put_list(c, "items", v.config_map->items);
    c["defaultMode"] = v.config_map->default_mode;
    put_true(c, "optional", v.config_map->optional);
    j["configMap"] = std::move(c);
  }
  if (v.secret) {
    json c = json::object();
    c["secretName"] = v.secret->secret_name;
    put_list(c, "items", v.secret->items);
    c["defaultMode"] = v.secret->default_mode;
    put_true(c, "optional", v.secret->optional);
    j["secret"] = std::move(c);
  }
}

void to_json(json& j, const PodSpec& v) {
  j = json::object();
  json containers = json::array();
  for (const auto& c : v.containers) containers.push_back(c);
  j["containers"] = std::move(containers);
  put_list(j, "volumes", v.volumes);
  put(j, "restartPolicy", v.restart_policy);
  j["terminationGracePeriodSeconds"] = v.termination_grace_period_seconds;
  put(j, "nodeName", v.node_name);
  put(j, "hostname", v.hostname);
  put(j, "subdomain", v.subdomain);
}

void to_json(json& j, const ContainerState& v) {
  j = json::object();
  if (v.waiting) {
    json w = json::object();
    put(w, "reason", v.waiting->reason);
    put(w, "message", v.waiting->message);
    j["waiting"] = std::move(w);
  }
  if (v.running) {
    json r = json::object();
    put(r, "startedAt", v.running->started_at);
    j["running"] = std::move(r);
  }
  if (v.terminated) {
    const auto& t = *v.terminated;
    json o = json::object();
    o["exitCode"] = t.exit_code;
    put_nonzero(o, "signal", t.signal);
    put(o, "reason", t.reason);
    put(o, "message", t.message);
    put(o, "startedAt", t.started_at);
    put(o, "finishedAt", t.finished_at);
    put(o, "containerID", t.container_id);
    j["terminated"] = std::move(o);
  }
}

void to_json(json& j, const ContainerStatus& v) {
  j = json::object();
  j["name"] = v.name;
  j["state"] = v.state;
  j["lastState"] = v.last_state;
  j["ready"] = v.ready;
  j["started"] = v.started;
  j["restartCount"] = v.restart_count;
  put(j, "image", v.image);
  put(j, "imageID", v.image_id);
  put(j, "containerID", v.container_id);
}

void to_json(json& j, const PodStatus& v) {
  j = json::object();
  put(j, "phase", v.phase);
  put_list(j, "conditions", v.conditions);
  put_list(j, "containerStatuses", v.container_statuses);
  put(j, "hostIP", v.host_ip);
  put(j, "podIP", v.pod_ip);
  if (!v.pod_ips.empty()) {
    json ips = json::array();
    for (const auto& ip : v.pod_ips) ips.push_back({{"ip", ip}});
    j["podIPs"] = std::move(ips);
  }
  put(j, "startTime", v.start_time);
  put(j, "reason", v.reason);
  put(j, "message", v.message);
}

void to_json(json& j, const PodTemplateSpec& v) {
  j = json::object();
  j["metadata"] = meta_json(v.metadata, true);
  j["spec"] = v.spec;
}
void from_json(const json& j, PodTemplateSpec& v) { read(j, "template", v); }

void to_json(json& j, const Pod& v) {
  j = json::object();
  j["kind"] = Pod::kKind;
  j["apiVersion"] = Pod::kApiVersion;
  j["metadata"] = v.metadata;
  j["spec"] = v.spec;
  j["status"] = v.status;
}
void from_json(const json& j, Pod& v) { read(j, "", v); }

}  // namespace skiff::config
