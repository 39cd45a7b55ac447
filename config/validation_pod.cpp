// A pod spec's checks: containers, ports, probes, volumes and their mounts, resources.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "config/quantity.h"
#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config::validation_internal {
namespace {

void check_probe(Errors& e, const std::string& field, const Probe& probe) {
  int handlers = 0;
  if (probe.exec) {
    ++handlers;
    if (probe.exec->command.empty()) e.required(at(field, "exec.command"));
  }
  if (probe.http_get) {
    if (++handlers > 1)
      e.forbidden(at(field, "httpGet"), "may not specify more than 1 handler type");
    check_int_or_port_name(e, at(field, "httpGet.port"), probe.http_get->port);
    if (!one_of(probe.http_get->scheme, {"HTTP", "HTTPS"})) {
      e.unsupported(at(field, "httpGet.scheme"), probe.http_get->scheme, {"HTTP", "HTTPS"});
    }
  }
  if (probe.tcp_socket) {
    if (++handlers > 1) {
      e.forbidden(at(field, "tcpSocket"), "may not specify more than 1 handler type");
    }
    check_int_or_port_name(e, at(field, "tcpSocket.port"), probe.tcp_socket->port);
  }
  if (handlers == 0) e.required(field, "must specify a handler type");
  const std::pair<const char*, int> non_negative[] = {
      {"initialDelaySeconds", probe.initial_delay_seconds}};
  for (const auto& [name, value] : non_negative) {
    if (value < 0) e.invalid(at(field, name), int64_t{value}, "must be greater than or equal to 0");
  }
  const std::pair<const char*, int> positive[] = {{"timeoutSeconds", probe.timeout_seconds},
                                                  {"periodSeconds", probe.period_seconds},
                                                  {"successThreshold", probe.success_threshold},
                                                  {"failureThreshold", probe.failure_threshold}};
  for (const auto& [name, value] : positive) {
    if (value < 1) e.invalid(at(field, name), int64_t{value}, "must be greater than or equal to 1");
  }
}

// A file mode of a configMap / secret volume: 0 to 0777, as Kubernetes checks it.
void check_file_mode(Errors& e, const std::string& field, int mode) {
  if (mode < 0 || mode > 0777) {
    e.invalid(field, int64_t{mode}, "must be a number between 0 and 0777 (octal), both inclusive");
  }
}

void check_local_path(Errors& e, const std::string& field, const std::string& value) {
  for (const auto& m : local_descending_path_errors(value))
    e.invalid(field, std::string_view(value), m);
}

void check_key_to_paths(Errors& e, const std::string& field, const std::vector<KeyToPath>& items) {
  for (size_t k = 0; k < items.size(); ++k) {
    const std::string p = item(field, k);
    if (items[k].key.empty()) e.required(at(p, "key"));
    if (items[k].path.empty()) {
      e.required(at(p, "path"));
    } else {
      check_local_path(e, at(p, "path"), items[k].path);
      if (items[k].path.starts_with("..")) {
        e.invalid(at(p, "path"), std::string_view(items[k].path), "must not start with '..'");
      }
    }
    if (items[k].mode) check_file_mode(e, at(p, "mode"), *items[k].mode);
  }
}

// spec.volumes: unique names, exactly one source, each source's own rules.
std::set<std::string> check_volumes(Errors& e, const std::string& path, const PodSpec& spec) {
  std::set<std::string> names;
  const std::string vpath = at(path, "volumes");
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const Volume& v = spec.volumes[i];
    const std::string p = item(vpath, i);
    if (v.name.empty()) {
      e.required(at(p, "name"));
    } else {
      e.name_rule(at(p, "name"), v.name, dns1123_label_errors(v.name));
      if (!names.insert(v.name).second) e.duplicate(at(p, "name"), v.name);
    }
    int sources = 0;
    auto source = [&](bool set, const char* name) {
      if (set && ++sources > 1) {
        e.forbidden(at(p, name), "may not specify more than 1 volume type");
      }
      return set && sources == 1;
    };
    if (source(v.empty_dir.has_value(), "emptyDir")) {
      if (!one_of(v.empty_dir->medium, {"", "Memory"})) {
        e.unsupported(at(p, "emptyDir.medium"), v.empty_dir->medium, {"", "Memory"});
      }
      if (!v.empty_dir->size_limit.empty()) {
        auto bytes = parse_quantity_value(v.empty_dir->size_limit);
        if (!bytes) {
          e.invalid(at(p, "emptyDir.sizeLimit"), std::string_view(v.empty_dir->size_limit),
                    bytes.error().message);
        } else if (*bytes < 0) {
          e.invalid(at(p, "emptyDir.sizeLimit"), std::string_view(v.empty_dir->size_limit),
                    "must be greater than or equal to 0");
        }
      }
    }
    if (source(v.host_path.has_value(), "hostPath")) {
      const std::string hp = at(p, "hostPath");
      if (v.host_path->path.empty()) {
        e.required(at(hp, "path"));
      } else if (v.host_path->path.front() != '/') {
        e.invalid(at(hp, "path"), std::string_view(v.host_path->path), "must be an absolute path");
      }
      if (!one_of(v.host_path->type, {"", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
                                      "Socket", "CharDevice", "BlockDevice"})) {
        e.unsupported(at(hp, "type"), v.host_path->type,
                      {"", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
                       "FileOrCreate", "Socket"});
      }
    }
    if (source(v.config_map.has_value(), "configMap")) {
      const std::string cp = at(p, "configMap");
      if (v.config_map->name.empty()) e.required(at(cp, "name"));
      check_file_mode(e, at(cp, "defaultMode"), v.config_map->default_mode);
      check_key_to_paths(e, at(cp, "items"), v.config_map->items);
    }
    if (source(v.secret.has_value(), "secret")) {
      const std::string sp = at(p, "secret");
      if (v.secret->secret_name.empty()) e.required(at(sp, "secretName"));
      check_file_mode(e, at(sp, "defaultMode"), v.secret->default_mode);
      check_key_to_paths(e, at(sp, "items"), v.secret->items);
    }
    if (sources == 0) e.required(p, "must specify a volume type");
  }
  return names;
}

void check_volume_mounts(Errors& e, const std::string& path, const Container& c,
                         const std::set<std::string>& volumes) {
  std::set<std::string> paths;
  for (size_t k = 0; k < c.volume_mounts.size(); ++k) {
    const VolumeMount& m = c.volume_mounts[k];
    const std::string p = item(at(path, "volumeMounts"), k);
    if (m.name.empty()) {
      e.required(at(p, "name"));
    } else if (!volumes.contains(m.name)) {
      e.add(at(p, "name"), "Not found: " + quote(m.name));
    }
    if (m.mount_path.empty()) {
      e.required(at(p, "mountPath"));
    } else {
      if (m.mount_path.front() != '/') {
        e.invalid(at(p, "mountPath"), std::string_view(m.mount_path), "must be an absolute path");
      }
      if (!paths.insert(m.mount_path).second) {
        e.invalid(at(p, "mountPath"), std::string_view(m.mount_path), "must be unique");
      }
    }
    if (!m.sub_path.empty()) check_local_path(e, at(p, "subPath"), m.sub_path);
  }
}

// ---- Resources ------------------------------------------------------------------------------

// A container's resources (ValidateResourceRequirements): known names, quantities that parse
// and are not negative, and no request above its limit.
void check_resources(Errors& e, const std::string& path, const ResourceRequirements& r) {
  auto amounts = [&](const StringMap& m, const std::string& field) {
    std::map<std::string, int64_t> out;
    for (const auto& [name, text] : m) {
      const std::string f = field + "[" + name + "]";
      if (!is_known_container_resource(name)) {
        e.invalid(f, std::string_view(name), "must be a standard resource type or fully qualified");
        continue;
      }
      auto v = name == "cpu" ? parse_quantity_milli(text) : parse_quantity_value(text);
      if (!v) {
        const std::string& why = v.error().message;
        const auto colon = why.find("\": ");
        e.invalid(f, std::string_view(text),
                  colon == std::string::npos ? why : why.substr(colon + 3));
        continue;
      }
      if (*v < 0) {
        e.invalid(f, std::string_view(text), "must be greater than or equal to 0");
        continue;
      }
      out[name] = *v;
    }
    return out;
  };
  const std::string requests_path = at(at(path, "resources"), "requests");
  const auto requests = amounts(r.requests, requests_path);
  const auto limits = amounts(r.limits, at(at(path, "resources"), "limits"));
  for (const auto& [name, request] : requests) {
    auto limit = limits.find(name);
    if (limit == limits.end() || request <= limit->second) continue;
    e.invalid(requests_path + "[" + name + "]", std::string_view(r.requests.at(name)),
              "must be less than or equal to " + name + " limit of " + r.limits.at(name));
  }
}

}  // namespace

void check_pod_spec(Errors& e, const std::string& path, const PodSpec& spec) {
  const std::set<std::string> volume_names = check_volumes(e, path, spec);
  const std::string cpath = at(path, "containers");
  if (spec.containers.empty()) e.required(cpath);
  std::set<std::string> container_names;  // what resourceFieldRef.containerName may name
  for (const Container& c : spec.containers) container_names.insert(c.name);
  std::set<std::string> names;
  std::set<std::string> port_names;
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    const Container& c = spec.containers[i];
    const std::string p = item(cpath, i);
    if (c.name.empty()) {
      e.required(at(p, "name"));
    } else {
      e.name_rule(at(p, "name"), c.name, dns1123_label_errors(c.name));
      if (!names.insert(c.name).second) e.duplicate(at(p, "name"), c.name);
    }
    if (c.image.empty()) e.required(at(p, "image"));
    if (!c.image_pull_policy.empty() &&
        !one_of(c.image_pull_policy, {"Always", "IfNotPresent", "Never"})) {
      e.unsupported(at(p, "imagePullPolicy"), c.image_pull_policy,
                    {"Always", "IfNotPresent", "Never"});
    }
    for (size_t k = 0; k < c.ports.size(); ++k) {
      const ContainerPort& port = c.ports[k];
      const std::string pp = item(at(p, "ports"), k);
      if (!port.name.empty()) {
        e.name_rule(at(pp, "name"), port.name, port_name_errors(port.name));
        if (!port_names.insert(port.name).second) e.duplicate(at(pp, "name"), port.name);
      }
      if (port.container_port == 0) {
        e.required(at(pp, "containerPort"));
      } else {
        check_port_number(e, at(pp, "containerPort"), port.container_port);
      }
      if (port.host_port != 0) check_port_number(e, at(pp, "hostPort"), port.host_port);
      check_protocol(e, at(pp, "protocol"), port.protocol);
    }
    check_env(e, at(p, "env"), c.env, container_names);
    check_env_from(e, at(p, "envFrom"), c.env_from);
    check_volume_mounts(e, p, c, volume_names);
    check_resources(e, p, c.resources);
    if (c.readiness_probe) check_probe(e, at(p, "readinessProbe"), *c.readiness_probe);
    if (c.liveness_probe) check_probe(e, at(p, "livenessProbe"), *c.liveness_probe);
    if (c.startup_probe) check_probe(e, at(p, "startupProbe"), *c.startup_probe);
  }
  if (!one_of(spec.restart_policy, {"Always", "OnFailure", "Never"})) {
    e.unsupported(at(path, "restartPolicy"), spec.restart_policy, {"Always", "OnFailure", "Never"});
  }
  if (spec.termination_grace_period_seconds < 0) {
    e.invalid(at(path, "terminationGracePeriodSeconds"), spec.termination_grace_period_seconds,
              "must be greater than or equal to 0");
  }
}

void validate(Errors& e, const Pod& pod) {
  check_meta(e, pod.metadata, NameRule::kSubdomain);
  check_pod_spec(e, "spec", pod.spec);
}

}  // namespace skiff::config::validation_internal
