// A container's env and envFrom (ValidateEnv, ValidateEnvFrom): names, and the ConfigMap,
// Secret, downward-API and resource fields they read.
#include <set>
#include <string>
#include <string_view>

#include "config/quantity.h"
#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config::validation_internal {
namespace {

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

}  // namespace

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

}  // namespace skiff::config::validation_internal
