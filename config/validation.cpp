#include "config/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <utility>

#include "config/kinds.h"
#include "config/labels.h"
#include "config/quantity.h"

namespace skiff::config {
namespace {

using nlohmann::json;

// ---- Kubernetes' message texts (k8s.io/apimachinery/pkg/util/validation) ------------------

std::string regex_error(std::string msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  msg += " (e.g. ";
  bool first = true;
  for (auto e : examples) {
    if (!first) msg += " or ";
    first = false;
    msg += "'" + std::string(e) + "', ";
  }
  msg += "regex used for validation is '" + std::string(fmt) + "')";
  return msg;
}

std::string max_len_error(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool matches_dns1123_label(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matches_qualified_name(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (char c : s) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

// ---- Diagnostics ---------------------------------------------------------------------------

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string join_quoted(std::initializer_list<std::string_view> values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += quote(v);
  }
  return out;
}

// Collects errors under field paths, with the Kubernetes error-type prefixes.
class Errors {
 public:
  explicit Errors(std::vector<Diagnostic>& out) : out_(out) {}

  void add(const std::string& field, std::string message) {
    Diagnostic d;
    d.field = field;
    d.message = std::move(message);
    out_.push_back(std::move(d));
  }
  void required(const std::string& field, const std::string& detail = {}) {
    add(field, detail.empty() ? "Required value" : "Required value: " + detail);
  }
  void invalid(const std::string& field, const std::string& value, const std::string& detail) {
    add(field, "Invalid value: " + value + ": " + detail);
  }
  void invalid(const std::string& field, std::string_view value, const std::string& detail) {
    invalid(field, quote(value), detail);
  }
  void invalid(const std::string& field, int64_t value, const std::string& detail) {
    invalid(field, std::to_string(value), detail);
  }
  void unsupported(const std::string& field, std::string_view value,
                   std::initializer_list<std::string_view> supported) {
    add(field,
        "Unsupported value: " + quote(value) + ": supported values: " + join_quoted(supported));
  }
  void duplicate(const std::string& field, std::string_view value) {
    add(field, "Duplicate value: " + quote(value));
  }
  void forbidden(const std::string& field, const std::string& detail) {
    add(field, "Forbidden: " + detail);
  }
  // One error per message of a name rule, as Kubernetes reports them.
  void name_rule(const std::string& field, std::string_view value,
                 const std::vector<std::string>& messages) {
    for (const auto& m : messages) invalid(field, value, m);
  }

 private:
  std::vector<Diagnostic>& out_;
};

bool one_of(std::string_view v, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (v == o) return true;
  }
  return false;
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

void check_port_number(Errors& e, const std::string& field, int port) {
  if (port < 1 || port > 65535)
    e.invalid(field, int64_t{port}, "must be between 1 and 65535, inclusive");
}

void check_protocol(Errors& e, const std::string& field, const std::string& protocol) {
  if (protocol == "TCP" || protocol == "UDP") return;
  if (protocol == "SCTP") {
    e.add(field, "Unsupported value: \"SCTP\": not supported by skiff");
    return;
  }
  e.unsupported(field, protocol, {"TCP", "UDP"});
}

void check_int_or_port_name(Errors& e, const std::string& field, const IntOrString& port) {
  if (port.is_int) {
    check_port_number(e, field, port.int_value);
  } else {
    e.name_rule(field, port.str_value, port_name_errors(port.str_value));
  }
}

void check_labels(Errors& e, const std::string& field, const StringMap& labels) {
  for (const auto& [key, value] : labels) {
    e.name_rule(field, key, qualified_name_errors(key));
    e.name_rule(field, value, label_value_errors(value));
  }
}

enum class NameRule { kSubdomain, kDns1035 };

void check_meta(Errors& e, const ObjectMeta& m, NameRule rule) {
  if (m.name.empty()) {
    if (m.generate_name.empty()) e.required("metadata.name", "name or generateName is required");
  } else {
    e.name_rule("metadata.name", m.name,
                rule == NameRule::kDns1035 ? dns1035_label_errors(m.name)
                                           : dns1123_subdomain_errors(m.name));
  }
  e.name_rule("metadata.namespace", m.namespace_, dns1123_label_errors(m.namespace_));
  check_labels(e, "metadata.labels", m.labels);
  for (const auto& [key, value] : m.annotations) {
    e.name_rule("metadata.annotations", key, qualified_name_errors(key));
  }
}

void check_selector(Errors& e, const std::string& field, const LabelSelector& s) {
  check_labels(e, at(field, "matchLabels"), s.match_labels);
  for (size_t i = 0; i < s.match_expressions.size(); ++i) {
    const auto& r = s.match_expressions[i];
    const std::string p = item(at(field, "matchExpressions"), i);
    e.name_rule(at(p, "key"), r.key, qualified_name_errors(r.key));
    if (r.op == "In" || r.op == "NotIn") {
      if (r.values.empty()) {
        e.required(at(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (r.op == "Exists" || r.op == "DoesNotExist") {
      if (!r.values.empty()) {
        e.forbidden(at(p, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      e.unsupported(at(p, "operator"), r.op, {"DoesNotExist", "Exists", "In", "NotIn"});
    }
  }
}

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

// ---- ConfigMaps, Secrets and the env that reads them ---------------------------------------

// core.MaxSecretSize: the most a Secret's data, or a ConfigMap's data and binaryData, may hold.
constexpr size_t kMaxConfigBytes = 1024 * 1024;

// The downward-API fields an env var reads (besides metadata.labels['k'] and
// metadata.annotations['k']).
bool env_field_path(std::string_view path) {
  return one_of(path, {"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                       "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"});
}

void check_field_ref(Errors& e, const std::string& field, const ObjectFieldSelector& ref) {
  const std::string fp = at(field, "fieldPath");
  if (ref.field_path.empty()) return e.required(fp);
  if (env_field_path(ref.field_path)) return;
  for (std::string_view base : {"metadata.labels['", "metadata.annotations['"}) {
    const std::string& path = ref.field_path;
    if (path.starts_with(base) && path.ends_with("']") && path.size() >= base.size() + 2) {
      const std::string key = path.substr(base.size(), path.size() - base.size() - 2);
      e.name_rule(fp, key, qualified_name_errors(key));
      return;
    }
  }
  e.unsupported(fp, ref.field_path,
                {"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
                 "metadata.uid", "spec.nodeName", "status.hostIP", "status.hostIPs", "status.podIP",
                 "status.podIPs"});
}

// configMapKeyRef / secretKeyRef: an object name and one of its keys.
void check_key_ref(Errors& e, const std::string& field, const KeySelector& ref) {
  if (ref.name.empty()) {
    e.required(at(field, "name"));
  } else {
    e.name_rule(at(field, "name"), ref.name, dns1123_subdomain_errors(ref.name));
  }
  if (ref.key.empty()) {
    e.required(at(field, "key"));
  } else {
    e.name_rule(at(field, "key"), ref.key, config_key_errors(ref.key));
  }
}

// resourceFieldRef of an env var (validateContainerResourceFieldSelector and
// validateContainerResourceDivisor); `containers` are the pod's container names.
void check_resource_field_ref(Errors& e, const std::string& field, const ResourceFieldSelector& ref,
                              const std::set<std::string>& containers) {
  if (!ref.container_name.empty() && !containers.contains(ref.container_name)) {
    e.add(at(field, "containerName"), "Not found: " + quote(ref.container_name));
  }
  const std::string& r = ref.resource;
  if (r.empty()) {
    e.required(at(field, "resource"));
  } else if (!one_of(r, {"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                         "requests.ephemeral-storage", "requests.memory"})) {
    e.unsupported(at(field, "resource"), r,
                  {"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                   "requests.ephemeral-storage", "requests.memory"});
  }
  if (ref.divisor.empty()) return;
  const std::string df = at(field, "divisor");
  if (auto v = parse_quantity_value(ref.divisor); !v) {
    const std::string& why = v.error().message;
    const auto colon = why.find("\": ");
    e.invalid(df, std::string_view(ref.divisor),
              colon == std::string::npos ? why : why.substr(colon + 3));
    return;
  }
  const std::string divisor = canonical_divisor(ref.divisor).value_or("");
  if (divisor == "0") return;  // zero is the unset divisor: 1
  const bool cpu = one_of(r, {"limits.cpu", "requests.cpu"});
  const bool memory = one_of(r, {"limits.memory", "requests.memory"});
  const bool storage = one_of(r, {"limits.ephemeral-storage", "requests.ephemeral-storage"});
  const bool decimal_or_binary = one_of(
      divisor, {"1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"});
  // The API server quotes the resource, not the divisor, in these messages.
  if (cpu && !one_of(divisor, {"1m", "1"})) {
    e.invalid(df, std::string_view(r),
              "only divisor's values 1m and 1 are supported with the cpu "
              "resource");
  } else if ((memory || storage) && !decimal_or_binary) {
    e.invalid(df, std::string_view(r),
              "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are "
              "supported with the " +
                  std::string(memory ? "memory" : "local ephemeral storage") + " resource");
  }
}

// A container's env: names, and valueFrom with exactly one source (ValidateEnv).
void check_env(Errors& e, const std::string& path, const std::vector<EnvVar>& env,
               const std::set<std::string>& containers) {
  for (size_t k = 0; k < env.size(); ++k) {
    const EnvVar& var = env[k];
    const std::string p = item(path, k);
    if (var.name.empty()) {
      e.required(at(p, "name"));
    } else {
      e.name_rule(at(p, "name"), var.name, env_var_name_errors(var.name));
    }
    if (!var.value_from) continue;
    const EnvVarSource& src = *var.value_from;
    const std::string vf = at(p, "valueFrom");
    const int sources = int(src.field_ref.has_value()) + int(src.config_map_key_ref.has_value()) +
                        int(src.secret_key_ref.has_value()) +
                        int(src.resource_field_ref.has_value());
    if (sources == 0) {
      e.invalid(vf, std::string_view(),
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                "`secretKeyRef`");
    } else if (!var.value.empty()) {
      e.invalid(vf, std::string_view(), "may not be specified when `value` is not empty");
    } else if (sources > 1) {
      e.invalid(vf, std::string_view(), "may not have more than one field specified at a time");
    }
    if (src.field_ref) check_field_ref(e, at(vf, "fieldRef"), *src.field_ref);
    if (src.config_map_key_ref)
      check_key_ref(e, at(vf, "configMapKeyRef"), *src.config_map_key_ref);
    if (src.secret_key_ref) check_key_ref(e, at(vf, "secretKeyRef"), *src.secret_key_ref);
    if (src.resource_field_ref) {
      check_resource_field_ref(e, at(vf, "resourceFieldRef"), *src.resource_field_ref, containers);
    }
  }
}

// envFrom: a valid prefix and exactly one source with a name (ValidateEnvFrom).
void check_env_from(Errors& e, const std::string& path, const std::vector<EnvFromSource>& from) {
  for (size_t k = 0; k < from.size(); ++k) {
    const EnvFromSource& src = from[k];
    const std::string p = item(path, k);
    if (!src.prefix.empty()) {
      e.name_rule(at(p, "prefix"), src.prefix, env_var_name_errors(src.prefix));
    }
    auto check_ref = [&](const std::string& field, const EnvFromRef& ref) {
      if (ref.name.empty()) {
        e.required(at(field, "name"));
      } else {
        e.name_rule(at(field, "name"), ref.name, dns1123_subdomain_errors(ref.name));
      }
    };
    if (src.config_map_ref) check_ref(at(p, "configMapRef"), *src.config_map_ref);
    if (src.secret_ref) check_ref(at(p, "secretRef"), *src.secret_ref);
    const int sources = int(src.config_map_ref.has_value()) + int(src.secret_ref.has_value());
    if (sources == 0) {
      e.invalid(p, std::string_view(), "must specify one of: `configMapRef` or `secretRef`");
    } else if (sources > 1) {
      e.invalid(p, std::string_view(), "may not have more than one field specified at a time");
    }
  }
}

// Keys of `bag` ("data", "binaryData", "stringData") as config keys; adds their bytes to total.
void check_config_keys(Errors& e, const std::string& bag, const StringMap& data, size_t& total) {
  for (const auto& [key, value] : data) {
    e.name_rule(bag + "[" + key + "]", key, config_key_errors(key));
    total += value.size();
  }
}

void check_config_size(Errors& e, size_t total) {
  if (total > kMaxConfigBytes) {
    e.add("data", "Too long: must have at most " + std::to_string(kMaxConfigBytes) + " bytes");
  }
}

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

// Go's %#v of a map[string]string, which Kubernetes prints in the selector mismatch message.
std::string go_map(const StringMap& m) {
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ", ";
    first = false;
    out += quote(k) + ":" + quote(v);
  }
  return out + "}";
}

void check_workload(Errors& e, int replicas, const LabelSelector& selector,
                    const PodTemplateSpec& tmpl) {
  if (replicas < 0)
    e.invalid("spec.replicas", int64_t{replicas}, "must be greater than or equal to 0");
  if (selector.empty()) {
    e.required("spec.selector");
  } else {
    check_selector(e, "spec.selector", selector);
    if (!selector_matches(selector, tmpl.metadata.labels)) {
      e.invalid("spec.template.metadata.labels", go_map(tmpl.metadata.labels),
                "`selector` does not match template `labels`");
    }
  }
  check_labels(e, "spec.template.metadata.labels", tmpl.metadata.labels);
  check_pod_spec(e, "spec.template.spec", tmpl.spec);
  if (tmpl.spec.restart_policy != "Always") {
    e.unsupported("spec.template.spec.restartPolicy", tmpl.spec.restart_policy, {"Always"});
  }
}

void validate(Errors& e, const Pod& pod) {
  check_meta(e, pod.metadata, NameRule::kSubdomain);
  check_pod_spec(e, "spec", pod.spec);
}

void validate(Errors& e, const Service& svc) {
  check_meta(e, svc.metadata, NameRule::kDns1035);
  const ServiceSpec& s = svc.spec;
  if (!one_of(s.type, {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"})) {
    e.unsupported("spec.type", s.type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  }
  const bool headless = s.cluster_ip == "None";
  if (s.type == "ExternalName") {
    if (s.external_name.empty()) {
      e.required("spec.externalName");
    } else {
      e.name_rule("spec.externalName", s.external_name, dns1123_subdomain_errors(s.external_name));
    }
  } else if (s.ports.empty() && !headless) {
    e.required("spec.ports");
  }
  if (headless && s.type != "ClusterIP" && s.type != "ExternalName") {
    e.invalid("spec.clusterIP", std::string_view("None"),
              "may not be set to 'None' for " + s.type + " services");
  } else if (!s.cluster_ip.empty() && !headless && !is_valid_ip(s.cluster_ip)) {
    e.invalid("spec.clusterIP", std::string_view(s.cluster_ip),
              "must be empty, 'None', or a valid IP address");
  }
  for (size_t i = 0; i < s.external_ips.size(); ++i) {
    if (!is_valid_ip(s.external_ips[i])) {
      e.invalid(item("spec.externalIPs", i), std::string_view(s.external_ips[i]),
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }
  }
  std::set<std::string> names;
  std::set<std::string> port_keys;
  for (size_t i = 0; i < s.ports.size(); ++i) {
    const ServicePort& port = s.ports[i];
    const std::string p = item("spec.ports", i);
    if (port.name.empty()) {
      if (s.ports.size() > 1) e.required(at(p, "name"));
    } else {
      e.name_rule(at(p, "name"), port.name, dns1123_label_errors(port.name));
      if (!names.insert(port.name).second) e.duplicate(at(p, "name"), port.name);
    }
    check_port_number(e, at(p, "port"), port.port);
    check_protocol(e, at(p, "protocol"), port.protocol);
    if (!port.target_port.empty()) check_int_or_port_name(e, at(p, "targetPort"), port.target_port);
    if (port.node_port != 0) {
      if (s.type != "NodePort" && s.type != "LoadBalancer") {
        e.forbidden(at(p, "nodePort"), "may not be used when `type` is '" + s.type + "'");
      } else if (port.node_port < 30000 || port.node_port > 32767) {
        e.invalid(at(p, "nodePort"), int64_t{port.node_port},
                  "provided port is not in the valid range. The range of valid ports is "
                  "30000-32767");
      }
    }
    const std::string key = std::to_string(port.port) + "/" + port.protocol;
    if (!port_keys.insert(key).second) e.duplicate(p, key);
  }
  check_labels(e, "spec.selector", s.selector);
  if (!one_of(s.session_affinity, {"None", "ClientIP"})) {
    e.unsupported("spec.sessionAffinity", s.session_affinity, {"ClientIP", "None"});
  } else if (s.session_affinity == "ClientIP" && (s.session_affinity_timeout_seconds < 1 ||
                                                  s.session_affinity_timeout_seconds > 86400)) {
    e.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds",
              int64_t{s.session_affinity_timeout_seconds},
              "must be greater than 0 and less than 86400");
  }
}

void validate(Errors& e, const Endpoints& ep) {
  check_meta(e, ep.metadata, NameRule::kSubdomain);
  for (size_t i = 0; i < ep.subsets.size(); ++i) {
    const EndpointSubset& subset = ep.subsets[i];
    const std::string sp = item("subsets", i);
    auto check_addresses = [&](const char* name, const std::vector<EndpointAddress>& addrs) {
      for (size_t k = 0; k < addrs.size(); ++k) {
        if (!is_valid_ip(addrs[k].ip)) {
          e.invalid(at(item(at(sp, name), k), "ip"), std::string_view(addrs[k].ip),
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }
      }
    };
    check_addresses("addresses", subset.addresses);
    check_addresses("notReadyAddresses", subset.not_ready_addresses);
    for (size_t k = 0; k < subset.ports.size(); ++k) {
      const EndpointPort& port = subset.ports[k];
      const std::string pp = item(at(sp, "ports"), k);
      if (port.name.empty() && subset.ports.size() > 1) e.required(at(pp, "name"));
      check_port_number(e, at(pp, "port"), port.port);
      check_protocol(e, at(pp, "protocol"), port.protocol);
    }
  }
}

// maxSurge / maxUnavailable: a non-negative integer or a percentage ("25%"). nullopt when bad
// (the error is recorded); else whether it is zero.
std::optional<bool> check_rollout_value(Errors& e, const std::string& field, const IntOrString& v) {
  if (v.is_int) {
    if (v.int_value < 0) {
      e.invalid(field, int64_t{v.int_value}, "must be greater than or equal to 0");
      return std::nullopt;
    }
    return v.int_value == 0;
  }
  const std::string& t = v.str_value;
  bool digits = t.size() >= 2 && t.back() == '%' && t.size() <= 5 &&
                std::all_of(t.begin(), t.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    e.invalid(field, std::string_view(t),
              "a valid percent string must be a numeric string followed by an ending '%' "
              "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    return std::nullopt;
  }
  const int pct = std::stoi(t.substr(0, t.size() - 1));
  if (pct > 100 && field.ends_with("maxUnavailable")) {
    e.invalid(field, std::string_view(t), "must not be greater than 100%");
    return std::nullopt;
  }
  return pct == 0;
}

void validate(Errors& e, const Deployment& d) {
  check_meta(e, d.metadata, NameRule::kSubdomain);
  check_workload(e, d.spec.replicas, d.spec.selector, d.spec.template_);
  if (!one_of(d.spec.strategy.type, {"RollingUpdate", "Recreate"})) {
    e.unsupported("spec.strategy.type", d.spec.strategy.type, {"Recreate", "RollingUpdate"});
  } else if (d.spec.strategy.type == "RollingUpdate") {
    const std::string ru = "spec.strategy.rollingUpdate";
    auto surge_zero = check_rollout_value(e, ru + ".maxSurge", d.spec.strategy.max_surge);
    auto unavailable_zero =
        check_rollout_value(e, ru + ".maxUnavailable", d.spec.strategy.max_unavailable);
    if (surge_zero && unavailable_zero && *surge_zero && *unavailable_zero) {
      e.invalid(ru + ".maxUnavailable", std::string("0"), "may not be 0 when `maxSurge` is 0");
    }
  }
  if (d.spec.min_ready_seconds < 0) {
    e.invalid("spec.minReadySeconds", int64_t{d.spec.min_ready_seconds},
              "must be greater than or equal to 0");
  }
  if (d.spec.revision_history_limit < 0) {
    e.invalid("spec.revisionHistoryLimit", int64_t{d.spec.revision_history_limit},
              "must be greater than or equal to 0");
  }
  if (d.spec.progress_deadline_seconds <= 0) {
    e.invalid("spec.progressDeadlineSeconds", int64_t{d.spec.progress_deadline_seconds},
              "must be greater than 0");
  } else if (d.spec.progress_deadline_seconds <= d.spec.min_ready_seconds) {
    e.invalid("spec.progressDeadlineSeconds", int64_t{d.spec.progress_deadline_seconds},
              "must be greater than minReadySeconds");
  }
}

void validate(Errors& e, const Event& ev) {
  check_meta(e, ev.metadata, NameRule::kSubdomain);
  if (ev.involved_object.name.empty()) e.required("involvedObject.name");
  if (!ev.involved_object.namespace_.empty() &&
      ev.involved_object.namespace_ != ev.metadata.namespace_) {
    e.invalid("involvedObject.namespace", std::string_view(ev.involved_object.namespace_),
              "does not match event.namespace");
  }
  if (!one_of(ev.type, {"Normal", "Warning"})) {
    e.unsupported("type", ev.type, {"Normal", "Warning"});
  }
  if (ev.reason.empty()) e.required("reason");
  if (ev.count < 0) e.invalid("count", int64_t{ev.count}, "must be greater than or equal to 0");
}

void validate(Errors& e, const ConfigMap& cm) {
  check_meta(e, cm.metadata, NameRule::kSubdomain);
  size_t total = 0;
  check_config_keys(e, "data", cm.data, total);
  for (const auto& [key, value] : cm.data) {
    if (cm.binary_data.contains(key)) {
      e.invalid("data[" + key + "]", std::string_view(key),
                "duplicate of key present in binaryData");
    }
  }
  check_config_keys(e, "binaryData", cm.binary_data, total);
  check_config_size(e, total);
}

// Keys, size and the keys a typed Secret needs (ValidateSecret). No message carries a value.
void validate(Errors& e, const Secret& s) {
  check_meta(e, s.metadata, NameRule::kSubdomain);
  size_t total = 0;
  check_config_keys(e, "data", s.data, total);
  check_config_keys(e, "stringData", s.string_data, total);  // empty once defaulted
  check_config_size(e, total);
  auto need = [&](const std::string& key) {
    if (!s.data.contains(key)) e.required("data[" + key + "]");
  };
  if (s.type == "kubernetes.io/tls") {
    need("tls.crt");
    need("tls.key");
  } else if (s.type == "kubernetes.io/basic-auth") {
    // Either may be empty, but one of them must be there.
    if (!s.data.contains("username") && !s.data.contains("password")) {
      need("username");
      need("password");
    }
  } else if (s.type == "kubernetes.io/ssh-auth") {
    auto it = s.data.find("ssh-privatekey");
    if (it == s.data.end() || it->second.empty()) e.required("data[ssh-privatekey]");
  } else if (s.type == "kubernetes.io/dockercfg") {
    need(".dockercfg");
  } else if (s.type == "kubernetes.io/dockerconfigjson") {
    need(".dockerconfigjson");
  }
}

// Cluster-scoped: the name only (the daemon writes its own Node).
void validate(Errors& e, const Node& node) {
  if (node.metadata.name.empty()) {
    e.required("metadata.name", "name or generateName is required");
  } else {
    e.name_rule("metadata.name", node.metadata.name, dns1123_subdomain_errors(node.metadata.name));
  }
}

void validate(Errors& e, const ReplicaSet& rs) {
  check_meta(e, rs.metadata, NameRule::kSubdomain);
  check_workload(e, rs.spec.replicas, rs.spec.selector, rs.spec.template_);
}

// ---- Defaults ------------------------------------------------------------------------------

void default_pod_spec(PodSpec& spec) {
  if (spec.restart_policy.empty()) spec.restart_policy = "Always";
  for (Container& c : spec.containers) {
    if (c.image_pull_policy.empty()) c.image_pull_policy = default_pull_policy(c.image);
    for (ContainerPort& p : c.ports) {
      if (p.protocol.empty()) p.protocol = "TCP";
    }
  }
}

void default_meta(ObjectMeta& m) {
  if (m.namespace_.empty()) m.namespace_ = "default";
}

void default_workload(std::vector<Diagnostic>& warnings, LabelSelector& selector,
                      PodTemplateSpec& tmpl) {
  default_pod_spec(tmpl.spec);
  if (selector.empty() && !tmpl.metadata.labels.empty()) {
    selector.match_labels = tmpl.metadata.labels;
    Diagnostic d;
    d.severity = Diagnostic::Severity::kWarning;
    d.field = "spec.selector";
    d.message = "missing; defaulted to matchLabels " + labels_to_string(tmpl.metadata.labels) +
                " from spec.template.metadata.labels (apps/v1 requires spec.selector; "
                "the API server would reject this)";
    warnings.push_back(std::move(d));
  }
}

// ---- The schema for unknown-field warnings -------------------------------------------------

struct Shape {
  enum class Type { kAny, kObject, kList };
  Type type = Type::kAny;
  std::vector<std::pair<std::string_view, const Shape*>> fields;
  const Shape* items = nullptr;
};

using Fields = std::initializer_list<std::pair<std::string_view, const Shape*>>;
Shape object(Fields f) { return Shape{Shape::Type::kObject, f, nullptr}; }
Shape list_of(const Shape* s) { return Shape{Shape::Type::kList, {}, s}; }

const Shape* shape_of(Kind kind) {
  static const Shape any;
  static const Shape owner_ref = object({{"apiVersion", &any},
                                         {"kind", &any},
                                         {"name", &any},
                                         {"uid", &any},
                                         {"controller", &any},
                                         {"blockOwnerDeletion", &any}});
  static const Shape owner_refs = list_of(&owner_ref);
  static const Shape meta = object({{"name", &any},
                                    {"generateName", &any},
                                    {"namespace", &any},
                                    {"uid", &any},
                                    {"resourceVersion", &any},
                                    {"generation", &any},
                                    {"creationTimestamp", &any},
                                    {"deletionTimestamp", &any},
                                    {"deletionGracePeriodSeconds", &any},
                                    {"labels", &any},
                                    {"annotations", &any},
                                    {"ownerReferences", &owner_refs}});
  static const Shape requirement = object({{"key", &any}, {"operator", &any}, {"values", &any}});
  static const Shape requirements = list_of(&requirement);
  static const Shape selector =
      object({{"matchLabels", &any}, {"matchExpressions", &requirements}});
  static const Shape container_port =
      object({{"name", &any}, {"containerPort", &any}, {"protocol", &any}, {"hostPort", &any}});
  static const Shape container_ports = list_of(&container_port);
  static const Shape key_ref = object({{"name", &any}, {"key", &any}, {"optional", &any}});
  static const Shape field_ref = object({{"fieldPath", &any}, {"apiVersion", &any}});
  static const Shape resource_field_ref =
      object({{"containerName", &any}, {"resource", &any}, {"divisor", &any}});
  static const Shape value_from = object({{"configMapKeyRef", &key_ref},
                                          {"secretKeyRef", &key_ref},
                                          {"fieldRef", &field_ref},
                                          {"resourceFieldRef", &resource_field_ref}});
  static const Shape env_var =
      object({{"name", &any}, {"value", &any}, {"valueFrom", &value_from}});
  static const Shape env = list_of(&env_var);
  static const Shape source_ref = object({{"name", &any}, {"optional", &any}});
  static const Shape env_from_source =
      object({{"prefix", &any}, {"configMapRef", &source_ref}, {"secretRef", &source_ref}});
  static const Shape env_from = list_of(&env_from_source);
  static const Shape exec = object({{"command", &any}});
  static const Shape header = object({{"name", &any}, {"value", &any}});
  static const Shape headers = list_of(&header);
  static const Shape http_get = object({{"path", &any},
                                        {"port", &any},
                                        {"host", &any},
                                        {"scheme", &any},
                                        {"httpHeaders", &headers}});
  static const Shape tcp_socket = object({{"port", &any}, {"host", &any}});
  static const Shape probe = object({{"exec", &exec},
                                     {"httpGet", &http_get},
                                     {"tcpSocket", &tcp_socket},
                                     {"initialDelaySeconds", &any},
                                     {"timeoutSeconds", &any},
                                     {"periodSeconds", &any},
                                     {"successThreshold", &any},
                                     {"failureThreshold", &any}});
  static const Shape volume_mount =
      object({{"name", &any}, {"mountPath", &any}, {"readOnly", &any}, {"subPath", &any}});
  static const Shape volume_mounts = list_of(&volume_mount);
  static const Shape key_to_path = object({{"key", &any}, {"path", &any}, {"mode", &any}});
  static const Shape key_to_paths = list_of(&key_to_path);
  static const Shape empty_dir = object({{"medium", &any}, {"sizeLimit", &any}});
  static const Shape host_path = object({{"path", &any}, {"type", &any}});
  static const Shape config_map_volume =
      object({{"name", &any}, {"items", &key_to_paths}, {"defaultMode", &any}, {"optional", &any}});
  static const Shape secret_volume = object(
      {{"secretName", &any}, {"items", &key_to_paths}, {"defaultMode", &any}, {"optional", &any}});
  static const Shape volume = object({{"name", &any},
                                      {"emptyDir", &empty_dir},
                                      {"hostPath", &host_path},
                                      {"configMap", &config_map_volume},
                                      {"secret", &secret_volume}});
  static const Shape volumes = list_of(&volume);
  static const Shape resources = object({{"requests", &any}, {"limits", &any}});
  static const Shape container = object({{"name", &any},
                                         {"image", &any},
                                         {"imagePullPolicy", &any},
                                         {"command", &any},
                                         {"args", &any},
                                         {"workingDir", &any},
                                         {"ports", &container_ports},
                                         {"env", &env},
                                         {"envFrom", &env_from},
                                         {"volumeMounts", &volume_mounts},
                                         {"resources", &resources},
                                         {"readinessProbe", &probe},
                                         {"livenessProbe", &probe},
                                         {"startupProbe", &probe}});
  static const Shape containers = list_of(&container);
  static const Shape pod_spec = object({{"containers", &containers},
                                        {"volumes", &volumes},
                                        {"restartPolicy", &any},
                                        {"terminationGracePeriodSeconds", &any},
                                        {"nodeName", &any},
                                        {"hostname", &any},
                                        {"subdomain", &any}});
  static const Shape pod_template = object({{"metadata", &meta}, {"spec", &pod_spec}});
  // Status is written by skiff, never by users; its fields are not checked.
  static const Shape pod = object({{"apiVersion", &any},
                                   {"kind", &any},
                                   {"metadata", &meta},
                                   {"spec", &pod_spec},
                                   {"status", &any}});
  static const Shape service_port = object({{"name", &any},
                                            {"protocol", &any},
                                            {"port", &any},
                                            {"targetPort", &any},
                                            {"nodePort", &any}});
  static const Shape service_ports = list_of(&service_port);
  static const Shape client_ip = object({{"timeoutSeconds", &any}});
  static const Shape affinity_config = object({{"clientIP", &client_ip}});
  static const Shape service_spec = object({{"type", &any},
                                            {"selector", &any},
                                            {"ports", &service_ports},
                                            {"clusterIP", &any},
                                            {"clusterIPs", &any},
                                            {"externalIPs", &any},
                                            {"externalName", &any},
                                            {"sessionAffinity", &any},
                                            {"sessionAffinityConfig", &affinity_config},
                                            {"publishNotReadyAddresses", &any}});
  static const Shape service = object({{"apiVersion", &any},
                                       {"kind", &any},
                                       {"metadata", &meta},
                                       {"spec", &service_spec},
                                       {"status", &any}});
  static const Shape target_ref =
      object({{"kind", &any}, {"namespace", &any}, {"name", &any}, {"uid", &any}});
  static const Shape address =
      object({{"ip", &any}, {"hostname", &any}, {"nodeName", &any}, {"targetRef", &target_ref}});
  static const Shape addresses = list_of(&address);
  static const Shape endpoint_port = object({{"name", &any}, {"port", &any}, {"protocol", &any}});
  static const Shape endpoint_ports = list_of(&endpoint_port);
  static const Shape subset = object(
      {{"addresses", &addresses}, {"notReadyAddresses", &addresses}, {"ports", &endpoint_ports}});
  static const Shape subsets = list_of(&subset);
  static const Shape endpoints =
      object({{"apiVersion", &any}, {"kind", &any}, {"metadata", &meta}, {"subsets", &subsets}});
  static const Shape rolling = object({{"maxSurge", &any}, {"maxUnavailable", &any}});
  static const Shape strategy = object({{"type", &any}, {"rollingUpdate", &rolling}});
  static const Shape deployment_spec = object({{"replicas", &any},
                                               {"selector", &selector},
                                               {"template", &pod_template},
                                               {"strategy", &strategy},
                                               {"minReadySeconds", &any},
                                               {"revisionHistoryLimit", &any},
                                               {"progressDeadlineSeconds", &any},
                                               {"paused", &any}});
  static const Shape deployment = object({{"apiVersion", &any},
                                          {"kind", &any},
                                          {"metadata", &meta},
                                          {"spec", &deployment_spec},
                                          {"status", &any}});
  static const Shape replica_set_spec = object({{"replicas", &any},
                                                {"minReadySeconds", &any},
                                                {"selector", &selector},
                                                {"template", &pod_template}});
  static const Shape replica_set = object({{"apiVersion", &any},
                                           {"kind", &any},
                                           {"metadata", &meta},
                                           {"spec", &replica_set_spec},
                                           {"status", &any}});
  static const Shape object_ref = object({{"kind", &any},
                                          {"namespace", &any},
                                          {"name", &any},
                                          {"uid", &any},
                                          {"apiVersion", &any},
                                          {"resourceVersion", &any},
                                          {"fieldPath", &any}});
  static const Shape event_source = object({{"component", &any}, {"host", &any}});
  static const Shape event = object({{"apiVersion", &any},
                                     {"kind", &any},
                                     {"metadata", &meta},
                                     {"involvedObject", &object_ref},
                                     {"reason", &any},
                                     {"message", &any},
                                     {"source", &event_source},
                                     {"firstTimestamp", &any},
                                     {"lastTimestamp", &any},
                                     {"count", &any},
                                     {"type", &any},
                                     {"eventTime", &any},
                                     {"reportingComponent", &any},
                                     {"reportingInstance", &any}});
  static const Shape config_map = object({{"apiVersion", &any},
                                          {"kind", &any},
                                          {"metadata", &meta},
                                          {"data", &any},
                                          {"binaryData", &any},
                                          {"immutable", &any}});
  static const Shape secret = object({{"apiVersion", &any},
                                      {"kind", &any},
                                      {"metadata", &meta},
                                      {"type", &any},
                                      {"data", &any},
                                      {"stringData", &any},
                                      {"immutable", &any}});
  switch (kind) {
    case Kind::kEvent:
      return &event;
    case Kind::kPod:
      return &pod;
    case Kind::kService:
      return &service;
    case Kind::kEndpoints:
      return &endpoints;
    case Kind::kDeployment:
      return &deployment;
    case Kind::kReplicaSet:
      return &replica_set;
    case Kind::kConfigMap:
      return &config_map;
    case Kind::kSecret:
      return &secret;
    case Kind::kNode:
      break;  // written by the daemon; not checked
  }
  return &any;
}

void unknown_fields(const json& j, const Shape& shape, const std::string& path,
                    std::vector<Diagnostic>& out) {
  if (shape.type == Shape::Type::kObject && j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string p = at(path, it.key());
      const Shape* child = nullptr;
      for (const auto& [name, s] : shape.fields) {
        if (name == it.key()) child = s;
      }
      if (child == nullptr) {
        Diagnostic d;
        d.severity = Diagnostic::Severity::kWarning;
        d.field = p;
        d.message = "unknown field " + quote(p);
        out.push_back(std::move(d));
      } else {
        unknown_fields(it.value(), *child, p, out);
      }
    }
  } else if (shape.type == Shape::Type::kList && j.is_array() && shape.items != nullptr) {
    for (size_t i = 0; i < j.size(); ++i) unknown_fields(j[i], *shape.items, item(path, i), out);
  }
}

}  // namespace

// ---- Name rules ------------------------------------------------------------------------------

std::vector<std::string> dns1123_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!matches_dns1123_label(v)) {
    errs.push_back(
        regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric "
                    "character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?", {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> dns1123_subdomain_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(max_len_error(253));
  bool ok = !v.empty();
  size_t start = 0;
  while (ok && start <= v.size()) {
    size_t dot = v.find('.', start);
    std::string_view part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    if (!matches_dns1123_label(part)) ok = false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!ok) {
    errs.push_back(regex_error(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", {"example.com"}));
  }
  return errs;
}

std::vector<std::string> dns1035_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!matches_dns1123_label(v) || !(v.front() >= 'a' && v.front() <= 'z')) {
    errs.push_back(
        regex_error("a DNS-1035 label must consist of lower case alphanumeric "
                    "characters or '-', start with an alphabetic character, and end "
                    "with an alphanumeric character",
                    "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> qualified_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  std::string_view name = v;
  const size_t slash = v.find('/');
  if (slash != std::string_view::npos) {
    if (v.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(regex_error("a qualified name " + std::string(kQualifiedNameMsg),
                                 kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = v.substr(0, slash);
    name = v.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : dns1123_subdomain_errors(prefix)) errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part " + max_len_error(63));
  }
  if (!name.empty() && !matches_qualified_name(name)) {
    errs.push_back("name part " + regex_error(std::string(kQualifiedNameMsg), kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(max_len_error(63));
  if (!v.empty() && !matches_qualified_name(v)) {
    errs.push_back(regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

std::vector<std::string> port_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 15) errs.push_back(max_len_error(15));
  bool charset = !v.empty();
  bool letter = false;
  for (char c : v) {
    if (!is_lower_alnum(c) && c != '-') charset = false;
    if (c >= 'a' && c <= 'z') letter = true;
  }
  if (!charset) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (v.find("--") != std::string_view::npos)
    errs.push_back("must not contain consecutive hyphens");
  if (!v.empty() && (v.front() == '-' || v.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

std::vector<std::string> env_var_name_errors(std::string_view v) {
  std::vector<std::string> errs;
  bool ok = !v.empty() && !(v.front() >= '0' && v.front() <= '9');
  for (char c : v) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') ok = false;
  }
  if (!ok) {
    errs.push_back(regex_error(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', "
        "'-', or '.', and must not start with a digit",
        "[-._a-zA-Z][-._a-zA-Z0-9]*", {"my.env-name", "MY_ENV.NAME", "MyEnvName1"}));
  }
  if (v == ".") {
    errs.push_back("must not be '.'");
  } else if (v == "..") {
    errs.push_back("must not be '..'");
  } else if (v.substr(0, 2) == "..") {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::vector<std::string> local_descending_path_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (!v.empty() && v.front() == '/') errs.push_back("must be a relative path");
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find('/', start);
    if (end == std::string_view::npos) end = v.size();
    if (v.substr(start, end - start) == "..") {
      errs.push_back("must not contain '..'");
      break;  // one is enough, as Kubernetes says it once
    }
    start = end + 1;
  }
  return errs;
}

std::vector<std::string> config_key_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(max_len_error(253));
  bool ok = !v.empty();
  for (char c : v) {
    if (!is_alnum(c) && c != '-' && c != '.' && c != '_') ok = false;
  }
  if (!ok) {
    errs.push_back(
        regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                    "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  if (v == ".") {
    errs.push_back("must not be '.'");
  } else if (v == "..") {
    errs.push_back("must not be '..'");
  } else if (v.starts_with("..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

bool is_valid_ip(std::string_view value) {
  if (value.empty() || value.size() > 45) return false;
  const std::string s(value);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string default_pull_policy(std::string_view image) {
  if (image.find('@') != std::string_view::npos) return "IfNotPresent";
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  const bool tagged =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

// ---- Entry points ------------------------------------------------------------------------------

std::vector<Diagnostic> check_document(const json& document, std::optional<Kind>* kind_out) {
  std::vector<Diagnostic> out;
  Errors e(out);
  if (kind_out) kind_out->reset();
  if (!document.is_object()) {
    e.add("", "a manifest must be a mapping (apiVersion, kind, metadata, ...)");
    return out;
  }
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = document.find(key);
    if (it == document.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto kind = text("kind");
  const auto api_version = text("apiVersion");
  if (!kind || kind->empty()) e.required("kind");
  if (!api_version || api_version->empty()) e.required("apiVersion");
  if (!out.empty()) return out;
  for (Kind k : kAllKinds) {
    const KindInfo& info = kind_info(k);
    if (info.name == *kind && info.api_version == *api_version) {
      if (kind_out) *kind_out = k;
      unknown_fields(document, *shape_of(k), "", out);
      return out;
    }
  }
  e.add("kind", "no matches for kind " + quote(*kind) + " in version " + quote(*api_version));
  return out;
}

std::vector<Diagnostic> apply_defaults(Object& object) {
  std::vector<Diagnostic> warnings;
  default_meta(meta(object));
  if (auto* pod = std::get_if<Pod>(&object)) {
    default_pod_spec(pod->spec);
  } else if (auto* svc = std::get_if<Service>(&object)) {
    if (svc->spec.type.empty()) svc->spec.type = "ClusterIP";
    if (svc->spec.session_affinity.empty()) svc->spec.session_affinity = "None";
    for (ServicePort& p : svc->spec.ports) {
      if (p.protocol.empty()) p.protocol = "TCP";
      if (p.target_port.empty()) p.target_port = IntOrString::of(p.port);
    }
  } else if (auto* ep = std::get_if<Endpoints>(&object)) {
    for (EndpointSubset& s : ep->subsets) {
      for (EndpointPort& p : s.ports) {
        if (p.protocol.empty()) p.protocol = "TCP";
      }
    }
  } else if (auto* d = std::get_if<Deployment>(&object)) {
    default_workload(warnings, d->spec.selector, d->spec.template_);
    if (d->spec.strategy.type.empty()) d->spec.strategy.type = "RollingUpdate";
  } else if (auto* rs = std::get_if<ReplicaSet>(&object)) {
    default_workload(warnings, rs->spec.selector, rs->spec.template_);
  } else if (auto* secret = std::get_if<Secret>(&object)) {
    // As the API server: stringData is merged into data (its values win), type Opaque.
    if (secret->type.empty()) secret->type = "Opaque";
    for (auto& [key, value] : secret->string_data) secret->data[key] = std::move(value);
    secret->string_data.clear();
  }
  return warnings;
}

std::vector<Diagnostic> validate_update(const Object& previous, const Object& next) {
  std::vector<Diagnostic> out;
  Errors e(out);
  constexpr const char* kImmutable = "field is immutable when `immutable` is set";
  if (const auto* old_cm = std::get_if<ConfigMap>(&previous)) {
    const auto* cm = std::get_if<ConfigMap>(&next);
    if (cm && old_cm->immutable) {
      if (!cm->immutable) e.forbidden("immutable", kImmutable);
      if (cm->data != old_cm->data) e.forbidden("data", kImmutable);
      if (cm->binary_data != old_cm->binary_data) e.forbidden("binaryData", kImmutable);
    }
  } else if (const auto* old_secret = std::get_if<Secret>(&previous)) {
    const auto* secret = std::get_if<Secret>(&next);
    if (secret) {
      if (secret->type != old_secret->type) {
        e.invalid("type", std::string_view(secret->type), "field is immutable");
      }
      if (old_secret->immutable) {
        if (!secret->immutable) e.forbidden("immutable", kImmutable);
        if (secret->data != old_secret->data) e.forbidden("data", kImmutable);
      }
    }
  }
  return out;
}

std::vector<Diagnostic> validate_object(const Object& object) {
  std::vector<Diagnostic> out;
  Errors e(out);
  std::visit([&](const auto& o) { validate(e, o); }, object);
  return out;
}

}  // namespace skiff::config
