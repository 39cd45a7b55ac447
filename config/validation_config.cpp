// ConfigMap and Secret checks, and what an update of one may not change.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config {
namespace validation_internal {
namespace {

// ---- ConfigMaps, Secrets and the env that reads them ---------------------------------------

// core.MaxSecretSize: the most a Secret's data, or a ConfigMap's data and binaryData, may hold.
constexpr size_t kMaxConfigBytes = 1024 * 1024;

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

}  // namespace

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

}  // namespace validation_internal

using validation_internal::Errors;

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

}  // namespace skiff::config
