// How a container of a Pod becomes a process: argv, environment and working directory from the
// image config and the container spec, by Kubernetes' rules. Pure: no I/O except that the
// working directory check asks whether a host folder exists.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/objects.h"
#include "controller/engine/engine.h"

namespace skiff::controller {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// What the environment needs to know about the pod and its namespace.
struct PodEnvContext {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_ip;
  std::string hostname;  // spec.hostname or the pod name
  // Services of the pod's namespace when the container starts; those with a cluster IP give
  // the docker-links style variables kubelet sets (NAME_SERVICE_HOST, NAME_PORT, ...).
  std::vector<config::Service> services;
};

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The container's environment, in order: PATH and HOME defaults, the image's ENV, HOSTNAME,
// POD_NAME, POD_NAMESPACE, POD_IP, PORT (first containerPort), service links, then the spec's
// env with $(VAR) expanded against everything before it. A later entry with an existing name
// replaces that entry's value in place.
EnvList container_env(const config::Container& container, const engine::ImageConfig& image,
                      const PodEnvContext& pod);

// argv by Kubernetes' rules: neither command nor args: ENTRYPOINT + CMD; args only:
// ENTRYPOINT + args; command only: command; both: command + args. $(VAR) in the spec's command
// and args is expanded with `env` ($$ escapes). Empty when nothing is left to run.
std::vector<std::string> container_argv(const config::Container& container,
                                        const engine::ImageConfig& image, const EnvList& env);

// The service-link variables for one Service (empty when it has no usable cluster IP).
EnvList service_link_env(const config::Service& service);

// spec.workingDir when it is an absolute folder that exists on the host, else the image's.
std::string container_working_dir(const config::Container& container,
                                  const engine::ImageConfig& image);

}  // namespace skiff::controller
