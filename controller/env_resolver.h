// A container's `env` and `envFrom` resolved as the kubelet resolves them before it creates the
// container (kubelet_pods.go makeEnvironmentVariables): envFrom sources first, in order, each
// key under its prefix; then env, where valueFrom reads a ConfigMap key, a Secret key or a
// field of the pod. Pure: the objects come through a ConfigLookup.
//
// A reference that cannot be satisfied fails the whole container with the message kubelet
// puts in CreateContainerConfigError (`configmap "x" not found`, `couldn't find key k in
// ConfigMap default/x`), unless the reference is `optional`, in which case it is skipped.
#pragma once

#include <string>
#include <vector>

#include "config/objects.h"
#include "config/status.h"
#include "controller/config_sources.h"

namespace skiff::controller {

// What fieldRef reads that the pod object does not hold yet when its containers start: the
// sandbox's IP and the node's.
struct EnvFieldContext {
  std::string pod_ip;
  std::string host_ip;
};

struct ResolvedEnv {
  // The container's env as literal entries, ready to replace Container::env before
  // container_env() expands it. Values that came from a ConfigMap, a Secret or a field have
  // every '$' doubled, so the $(VAR) expansion (which Kubernetes applies to `value` only)
  // gives them back byte for byte.
  std::vector<config::EnvVar> env;
  // Kubelet's InvalidEnvironmentVariableNames warnings: envFrom keys that are not valid
  // variable names were skipped. One message per source; keys, never values.
  std::vector<std::string> warnings;
};

config::Result<ResolvedEnv> resolve_env(const config::Pod& pod, const config::Container& container,
                                        const EnvFieldContext& fields, const ConfigLookup& lookup);

// The value of a downward-API fieldPath of the pod (metadata.name, metadata.namespace,
// metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName,
// status.podIP(s), status.hostIP(s)); BadRequest `unsupported fieldPath: x` otherwise.
config::Result<std::string> pod_field_value(const config::Pod& pod, const std::string& field_path,
                                            const EnvFieldContext& fields);

}  // namespace skiff::controller
