// ConfigMap and Secret data as their consumers see it: the kubelet's env resolution
// (valueFrom.configMapKeyRef / secretKeyRef, envFrom; controller/env_resolver.h) and configMap /
// secret volumes.
//
// Values are bytes (the model keeps binaryData and Secret data decoded; base64 is only the
// wire format). For Secret objects they are secrets: callers never log, event or print them,
// and no error message here contains one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::controller {

class Store;

using ConfigData = std::map<std::string, std::string>;  // key → bytes

// What a configMap volume projects: `data` and `binaryData` merged (validation keeps their
// keys disjoint, so nothing is overwritten).
ConfigData config_map_files(const config::ConfigMap& config_map);

// The object's keys and bytes (ConfigMap: config_map_files; Secret: `data`, into which the
// API merged `stringData` on write). NotFound (404) worded as the kubelet reports it:
// `configmap "x" not found`, `secret "x" not found`.
config::Result<ConfigData> config_map_data(const Store& store, std::string_view ns,
                                           std::string_view name);
config::Result<ConfigData> secret_data(const Store& store, std::string_view ns,
                                       std::string_view name);

// The two objects by namespace and name (null: absent), as a seam for pure code (env
// resolution, volume planning) and its tests: bind it to a Store with store_config_lookup(),
// or fake it with a map. The pointers keep the objects alive on their own.
struct ConfigLookup {
  std::function<std::shared_ptr<const config::ConfigMap>(std::string_view ns,
                                                         std::string_view name)>
      config_map;
  std::function<std::shared_ptr<const config::Secret>(std::string_view ns, std::string_view name)>
      secret;
};
// Look-ups that read `store`, which must outlive them.
ConfigLookup store_config_lookup(const Store& store);

// kubelet's NotFound messages, for callers that found no object through a ConfigLookup.
config::ApiError config_map_not_found(std::string_view name);
config::ApiError secret_not_found(std::string_view name);

}  // namespace skiff::controller
