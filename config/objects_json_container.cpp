#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

void read(const json& j, const std::string& p, ContainerPort& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "containerPort", v.container_port);
  field(j, p, "protocol", v.protocol);
  field(j, p, "hostPort", v.host_port);
}

void read(const json& j, const std::string& p, KeySelector& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "key", v.key);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, ObjectFieldSelector& v) {
  expect_object(j, p);
  field(j, p, "fieldPath", v.field_path);
  field(j, p, "apiVersion", v.api_version);
}

void read(const json& j, const std::string& p, EnvVarSource& v) {
  expect_object(j, p);
  field(j, p, "configMapKeyRef", v.config_map_key_ref);
  field(j, p, "secretKeyRef", v.secret_key_ref);
  field(j, p, "fieldRef", v.field_ref);
  field(j, p, "resourceFieldRef", v.resource_field_ref);
}

void read(const json& j, const std::string& p, EnvVar& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "value", v.value);
  field(j, p, "valueFrom", v.value_from);
}

void read(const json& j, const std::string& p, EnvFromRef& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "optional", v.optional);
}

void read(const json& j, const std::string& p, EnvFromSource& v) {
  expect_object(j, p);
  field(j, p, "prefix", v.prefix);
  field(j, p, "configMapRef", v.config_map_ref);
  field(j, p, "secretRef", v.secret_ref);
}

void read(const json& j, const std::string& p, VolumeMount& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "mountPath", v.mount_path);
  field(j, p, "readOnly", v.read_only);
  field(j, p, "subPath", v.sub_path);
}

void read(const json& j, const std::string& p, ResourceFieldSelector& v) {
  expect_object(j, p);
  field(j, p, "containerName", v.container_name);
  field(j, p, "resource", v.resource);
  if (const json* divisor = find(j, "divisor"))
    read_quantity(*divisor, at(p, "divisor"), v.divisor);
}

void read(const json& j, const std::string& p, ResourceRequirements& v) {
  expect_object(j, p);
  read_quantities(j, p, "requests", v.requests);
  read_quantities(j, p, "limits", v.limits);
}

void read(const json& j, const std::string& p, ExecAction& v) {
  expect_object(j, p);
  field(j, p, "command", v.command);
}

void read(const json& j, const std::string& p, std::pair<std::string, std::string>& v) {
  expect_object(j, p);
  field(j, p, "name", v.first);
  field(j, p, "value", v.second);
}

void read(const json& j, const std::string& p, HTTPGetAction& v) {
  expect_object(j, p);
  field(j, p, "path", v.path);
  field(j, p, "port", v.port);
  field(j, p, "host", v.host);
  field(j, p, "scheme", v.scheme);
  field(j, p, "httpHeaders", v.http_headers);
}

void read(const json& j, const std::string& p, TCPSocketAction& v) {
  expect_object(j, p);
  field(j, p, "port", v.port);
  field(j, p, "host", v.host);
}

void read(const json& j, const std::string& p, Probe& v) {
  expect_object(j, p);
  field(j, p, "exec", v.exec);
  field(j, p, "httpGet", v.http_get);
  field(j, p, "tcpSocket", v.tcp_socket);
  field(j, p, "initialDelaySeconds", v.initial_delay_seconds);
  field(j, p, "timeoutSeconds", v.timeout_seconds);
  field(j, p, "periodSeconds", v.period_seconds);
  field(j, p, "successThreshold", v.success_threshold);
  field(j, p, "failureThreshold", v.failure_threshold);
}

void read(const json& j, const std::string& p, Container& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "image", v.image);
  field(j, p, "imagePullPolicy", v.image_pull_policy);
  field(j, p, "command", v.command);
  field(j, p, "args", v.args);
  field(j, p, "workingDir", v.working_dir);
  field(j, p, "ports", v.ports);
  field(j, p, "env", v.env);
  field(j, p, "envFrom", v.env_from);
  field(j, p, "volumeMounts", v.volume_mounts);
  field(j, p, "resources", v.resources);
  field(j, p, "readinessProbe", v.readiness_probe);
  field(j, p, "livenessProbe", v.liveness_probe);
  field(j, p, "startupProbe", v.startup_probe);
}

}  // namespace json_detail

void to_json(json& j, const ContainerPort& v) {
  j = json::object();
  put(j, "name", v.name);
  j["containerPort"] = v.container_port;
  put(j, "protocol", v.protocol);
  put_nonzero(j, "hostPort", v.host_port);
}

void to_json(json& j, const KeySelector& v) {
  j = json::object();
  j["name"] = v.name;
  j["key"] = v.key;
  put_true(j, "optional", v.optional);
}

void to_json(json& j, const EnvVar& v) {
  j = json::object();
  j["name"] = v.name;
  put(j, "value", v.value);
  if (v.value_from) {
    json from = json::object();
    if (v.value_from->config_map_key_ref)
      from["configMapKeyRef"] = *v.value_from->config_map_key_ref;
    if (v.value_from->secret_key_ref) from["secretKeyRef"] = *v.value_from->secret_key_ref;
    if (v.value_from->field_ref) {
      from["fieldRef"] = {{"apiVersion", v.value_from->field_ref->api_version},
                          {"fieldPath", v.value_from->field_ref->field_path}};
    }
    if (const auto& ref = v.value_from->resource_field_ref) {
      json r = json::object();
      put(r, "containerName", ref->container_name);
      r["resource"] = ref->resource;
      put(r, "divisor", ref->divisor);
      from["resourceFieldRef"] = std::move(r);
    }
    j["valueFrom"] = std::move(from);
  }
}

void to_json(json& j, const EnvFromRef& v) {
  j = json::object();
  j["name"] = v.name;
  put_true(j, "optional", v.optional);
}

void to_json(json& j, const EnvFromSource& v) {
  j = json::object();
  put(j, "prefix", v.prefix);
  if (v.config_map_ref) j["configMapRef"] = *v.config_map_ref;
  if (v.secret_ref) j["secretRef"] = *v.secret_ref;
}

void to_json(json& j, const VolumeMount& v) {
  j = json::object();
  j["name"] = v.name;
  j["mountPath"] = v.mount_path;
  put_true(j, "readOnly", v.read_only);
  put(j, "subPath", v.sub_path);
}

void to_json(json& j, const Probe& v) {
  j = json::object();
  if (v.exec) {
    json e = json::object();
    put(e, "command", v.exec->command);
    j["exec"] = std::move(e);
  }
  if (v.http_get) {
    json h = json::object();
    put(h, "path", v.http_get->path);
    h["port"] = int_or_string(v.http_get->port);
    put(h, "host", v.http_get->host);
    put(h, "scheme", v.http_get->scheme);
    if (!v.http_get->http_headers.empty()) {
      json headers = json::array();
      for (const auto& [name, value] : v.http_get->http_headers) {
        headers.push_back({{"name", name}, {"value", value}});
      }
      h["httpHeaders"] = std::move(headers);
    }
    j["httpGet"] = std::move(h);
  }
  if (v.tcp_socket) {
    json t = json::object();
    t["port"] = int_or_string(v.tcp_socket->port);
    put(t, "host", v.tcp_socket->host);
    j["tcpSocket"] = std::move(t);
  }
  put_nonzero(j, "initialDelaySeconds", v.initial_delay_seconds);
  j["timeoutSeconds"] = v.timeout_seconds;
  j["periodSeconds"] = v.period_seconds;
  j["successThreshold"] = v.success_threshold;
  j["failureThreshold"] = v.failure_threshold;
}

void to_json(json& j, const Container& v) {
  j = json::object();
  j["name"] = v.name;
  put(j, "image", v.image);
  put(j, "command", v.command);
  put(j, "args", v.args);
  put(j, "workingDir", v.working_dir);
  put_list(j, "ports", v.ports);
  put_list(j, "env", v.env);
  put_list(j, "envFrom", v.env_from);
  put_list(j, "volumeMounts", v.volume_mounts);
  if (!v.resources.requests.empty() || !v.resources.limits.empty()) {
    json r = json::object();
    put(r, "requests", v.resources.requests);
    put(r, "limits", v.resources.limits);
    j["resources"] = std::move(r);
  }
  if (v.readiness_probe) j["readinessProbe"] = *v.readiness_probe;
  if (v.liveness_probe) j["livenessProbe"] = *v.liveness_probe;
  if (v.startup_probe) j["startupProbe"] = *v.startup_probe;
  put(j, "imagePullPolicy", v.image_pull_policy);
}

}  // namespace skiff::config
