// A container's `env` and `envFrom` resolved as the kubelet resolves them before it creates the
// container (kubelet_pods.go makeEnvironmentVariables): envFrom sources first, in order, each
// key under its prefix; then env, where valueFrom reads a ConfigMap key, a Secret key, a field
// of the pod or a resource of one of its containers. Pure: the objects come through a
// ConfigLookup.
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

// What fieldRef and resourceFieldRef read that the pod object does not hold: the sandbox's IP
// and the node's, and the node's status.allocatable (quantities as the Node shows them), which
// a limit that is not set reads as.
struct EnvFieldContext {
  std::string pod_ip;
  std::string host_ip;
  config::StringMap node_allocatable;
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

// The value of a resourceFieldRef read by `container`, as kubelet computes it
// (containerResourceRuntimeValue): the resource of the named container (of `container` itself
// when containerName is ""), divided by the divisor (1 when "" or 0) and rounded up, in
// decimal; cpu in milli-CPU over the divisor's milli-CPU, the others in bytes over bytes.
// A limit that is not set reads as the node's allocatable (0 when the node has none of it); a
// request that is not set as the limit when one is set (the API server's defaulting), else 0.
// BadRequest `container x not found` for a containerName the pod has no container of.
config::Result<std::string> resource_field_value(const config::Pod& pod,
                                                 const config::Container& container,
                                                 const config::ResourceFieldSelector& ref,
                                                 const EnvFieldContext& fields);

}  // namespace skiff::controller
