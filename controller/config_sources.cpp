#include "controller/config_sources.h"

#include "controller/store.h"

namespace skiff::controller {
namespace {

// An ObjectPtr's alternative as its own shared_ptr, sharing ownership with the stored object.
template <class T>
std::shared_ptr<const T> typed(ObjectPtr object) {
  const T* p = as<T>(object);
  if (!p) return nullptr;
  return std::shared_ptr<const T>(std::move(object), p);
}

}  // namespace

ConfigData config_map_files(const config::ConfigMap& config_map) {
  ConfigData files = config_map.data;
  for (const auto& [key, bytes] : config_map.binary_data) files.emplace(key, bytes);
  return files;
}

config::ApiError config_map_not_found(std::string_view name) {
  return config::ApiError::not_found("configmap \"" + std::string(name) + "\"");
}

config::ApiError secret_not_found(std::string_view name) {
  return config::ApiError::not_found("secret \"" + std::string(name) + "\"");
}

ConfigLookup store_config_lookup(const Store& store) {
  ConfigLookup lookup;
  lookup.config_map = [&store](std::string_view ns, std::string_view name) {
    return typed<config::ConfigMap>(store.get(Kind::kConfigMap, ns, name));
  };
  lookup.secret = [&store](std::string_view ns, std::string_view name) {
    return typed<config::Secret>(store.get(Kind::kSecret, ns, name));
  };
  return lookup;
}

config::Result<ConfigData> config_map_data(const Store& store, std::string_view ns,
                                           std::string_view name) {
  auto cm = typed<config::ConfigMap>(store.get(Kind::kConfigMap, ns, name));
  if (!cm) return config_map_not_found(name);
  return config_map_files(*cm);
}

config::Result<ConfigData> secret_data(const Store& store, std::string_view ns,
                                       std::string_view name) {
  auto secret = typed<config::Secret>(store.get(Kind::kSecret, ns, name));
  if (!secret) return secret_not_found(name);
  return ConfigData(secret->data);
}

}  // namespace skiff::controller
