#include "controller/env_resolver.h"

#include <algorithm>
#include <map>

#include "config/quantity.h"
#include "config/validation.h"

namespace skiff::controller {
namespace {

// Doubles every '$' so that $(VAR) expansion leaves the value as it is.
std::string literal(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

// "metadata.labels['app']" -> ("metadata.labels", "app"); no subscript: (path, nullopt).
std::pair<std::string_view, std::optional<std::string_view>> split_subscript(
    std::string_view path) {
  const size_t open = path.find("['");
  if (open == std::string_view::npos || !path.ends_with("']") || open + 4 > path.size()) {
    return {path, std::nullopt};
  }
  return {path.substr(0, open), path.substr(open + 2, path.size() - open - 4)};
}

// Objects are looked up once per resolution, as kubelet caches them per container start.
class Sources {
 public:
  Sources(const std::string& ns, const ConfigLookup& lookup) : ns_(ns), lookup_(lookup) {}

  std::shared_ptr<const config::ConfigMap> config_map(const std::string& name) {
    auto [it, fresh] = config_maps_.try_emplace(name);
    if (fresh && lookup_.config_map) it->second = lookup_.config_map(ns_, name);
    return it->second;
  }
  std::shared_ptr<const config::Secret> secret(const std::string& name) {
    auto [it, fresh] = secrets_.try_emplace(name);
    if (fresh && lookup_.secret) it->second = lookup_.secret(ns_, name);
    return it->second;
  }

 private:
  const std::string& ns_;
  const ConfigLookup& lookup_;
  std::map<std::string, std::shared_ptr<const config::ConfigMap>> config_maps_;
  std::map<std::string, std::shared_ptr<const config::Secret>> secrets_;
};

// Adds (or replaces in place) one resolved variable.
void set(std::vector<config::EnvVar>& env, const std::string& name, std::string value) {
  auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.name == name; });
  if (it != env.end()) {
    it->value = std::move(value);
  } else {
    env.push_back(config::EnvVar{name, std::move(value), std::nullopt});
  }
}

// envFrom: every key of `data` under `prefix`; invalid names are collected, not set.
void add_all(std::vector<config::EnvVar>& env, const std::string& prefix,
             const config::StringMap& data, std::vector<std::string>& invalid) {
  for (const auto& [key, value] : data) {
    std::string name = prefix + key;
    if (!config::env_var_name_errors(name).empty()) {
      invalid.push_back(std::move(name));
      continue;
    }
    set(env, name, literal(value));
  }
}

}  // namespace

config::Result<std::string> pod_field_value(const config::Pod& pod, const std::string& field_path,
                                            const EnvFieldContext& fields) {
  const auto& m = pod.metadata;
  if (field_path == "metadata.name") return m.name;
  if (field_path == "metadata.namespace") return m.namespace_;
  if (field_path == "metadata.uid") return m.uid;
  if (field_path == "spec.nodeName") return pod.spec.node_name;
  if (field_path == "status.podIP" || field_path == "status.podIPs") {
    return fields.pod_ip.empty() ? pod.status.pod_ip : fields.pod_ip;
  }
  if (field_path == "status.hostIP" || field_path == "status.hostIPs") {
    return fields.host_ip.empty() ? pod.status.host_ip : fields.host_ip;
  }
  auto [base, key] = split_subscript(field_path);
  if (key && (base == "metadata.labels" || base == "metadata.annotations")) {
    const auto& map = base == "metadata.labels" ? m.labels : m.annotations;
    auto it = map.find(std::string(*key));
    return it == map.end() ? std::string() : it->second;
  }
  return config::ApiError::bad_request("unsupported fieldPath: " + field_path);
}

config::Result<std::string> resource_field_value(const config::Pod& pod,
                                                 const config::Container& container,
                                                 const config::ResourceFieldSelector& ref,
                                                 const EnvFieldContext& fields) {
  const config::Container* target = &container;
  if (!ref.container_name.empty()) {
    auto it = std::find_if(pod.spec.containers.begin(), pod.spec.containers.end(),
                           [&](const auto& c) { return c.name == ref.container_name; });
    if (it == pod.spec.containers.end()) {
      return config::ApiError::bad_request("container " + ref.container_name + " not found");
    }
    target = &*it;
  }
  const size_t dot = ref.resource.find('.');
  const std::string kind = ref.resource.substr(0, dot);
  const std::string name = dot == std::string::npos ? "" : ref.resource.substr(dot + 1);
  if ((kind != "limits" && kind != "requests") ||
      (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return config::ApiError::bad_request("unsupported container resource : " + ref.resource);
  }
  const bool cpu = name == "cpu";
  auto parse = [cpu](const std::string& text) {
    return cpu ? config::parse_quantity_milli(text) : config::parse_quantity_value(text);
  };

  // Which quantity the field reads. Kubelet fills unset limits from the node's allocatable
  // (defaultPodLimitsForDownwardAPI). skiff accounts no ephemeral storage of its own: a limit
  // on it that is not set reads as the Node's allocatable ephemeral-storage (what build_node
  // derives from the state dir's filesystem), and as 0 when the Node shows none.
  const auto& limits = target->resources.limits;
  const auto& requests = target->resources.requests;
  std::string quantity = "0";
  if (auto it = limits.find(name); it != limits.end()) {
    quantity = it->second;
  } else if (auto node = fields.node_allocatable.find(name);
             kind == "limits" && node != fields.node_allocatable.end()) {
    quantity = node->second;
  }
  if (kind == "requests") {
    // An unset request is the limit when one is set (API defaulting), else 0.
    if (auto it = requests.find(name); it != requests.end()) {
      quantity = it->second;
    } else if (!limits.contains(name)) {
      quantity = "0";
    }
  }
  auto amount = parse(quantity);
  if (!amount) {
    return config::ApiError::bad_request(ref.resource + ": " + amount.error().message);
  }
  int64_t divisor = cpu ? 1000 : 1;  // "1"
  if (!ref.divisor.empty()) {
    auto d = parse(ref.divisor);
    if (!d) return config::ApiError::bad_request("divisor: " + d.error().message);
    if (*d > 0) divisor = *d;  // 0 is the unset divisor; validation refuses negatives
  }
  int64_t value = *amount / divisor;  // rounded up: toward zero is up for negative amounts
  if (*amount % divisor > 0) ++value;
  return std::to_string(value);
}

config::Result<ResolvedEnv> resolve_env(const config::Pod& pod, const config::Container& container,
                                        const EnvFieldContext& fields, const ConfigLookup& lookup) {
  const std::string& ns = pod.metadata.namespace_;
  Sources sources(ns, lookup);
  ResolvedEnv out;

  for (const auto& from : container.env_from) {
    std::vector<std::string> invalid;
    if (from.config_map_ref) {
      const auto& ref = *from.config_map_ref;
      auto cm = sources.config_map(ref.name);
      if (!cm) {
        if (ref.optional) continue;
        return config_map_not_found(ref.name);
      }
      add_all(out.env, from.prefix, cm->data, invalid);  // binaryData is not env, as kubelet
      if (!invalid.empty()) {
        std::sort(invalid.begin(), invalid.end());
        out.warnings.push_back("Keys [" + join(invalid) + "] from the EnvFrom configMap " + ns +
                               "/" + ref.name +
                               " were skipped since they are considered invalid environment "
                               "variable names.");
      }
    } else if (from.secret_ref) {
      const auto& ref = *from.secret_ref;
      auto secret = sources.secret(ref.name);
      if (!secret) {
        if (ref.optional) continue;
        return secret_not_found(ref.name);
      }
      add_all(out.env, from.prefix, secret->data, invalid);
      if (!invalid.empty()) {
        std::sort(invalid.begin(), invalid.end());
        out.warnings.push_back("Keys [" + join(invalid) + "] from the EnvFrom secret " + ns + "/" +
                               ref.name +
                               " were skipped since they are considered invalid environment "
                               "variable names.");
      }
    }
  }

  for (const auto& var : container.env) {
    if (!var.value_from) {
      set(out.env, var.name, var.value);  // expanded later, by container_env
      continue;
    }
    const config::EnvVarSource& src = *var.value_from;
    if (src.config_map_key_ref) {
      const auto& ref = *src.config_map_key_ref;
      auto cm = sources.config_map(ref.name);
      if (!cm) {
        if (ref.optional) continue;
        return config_map_not_found(ref.name);
      }
      auto it = cm->data.find(ref.key);
      if (it == cm->data.end()) {
        if (ref.optional) continue;
        return config::ApiError::bad_request("couldn't find key " + ref.key + " in ConfigMap " +
                                             ns + "/" + ref.name);
      }
      set(out.env, var.name, literal(it->second));
    } else if (src.secret_key_ref) {
      const auto& ref = *src.secret_key_ref;
      auto secret = sources.secret(ref.name);
      if (!secret) {
        if (ref.optional) continue;
        return secret_not_found(ref.name);
      }
      auto it = secret->data.find(ref.key);
      if (it == secret->data.end()) {
        if (ref.optional) continue;
        return config::ApiError::bad_request("couldn't find key " + ref.key + " in Secret " + ns +
                                             "/" + ref.name);
      }
      set(out.env, var.name, literal(it->second));
    } else if (src.field_ref) {
      auto value = pod_field_value(pod, src.field_ref->field_path, fields);
      if (!value) return value.error();
      set(out.env, var.name, literal(*value));
    } else if (src.resource_field_ref) {
      auto value = resource_field_value(pod, container, *src.resource_field_ref, fields);
      if (!value) return value.error();
      set(out.env, var.name, *value);  // digits only
    }
  }
  return out;
}

}  // namespace skiff::controller
