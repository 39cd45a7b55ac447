// The Endpoints object Kubernetes' endpoints controller would write for a Service, pure.
#pragma once

#include <vector>

#include "config/objects.h"

namespace skiff::controller {

// Endpoints named as the Service, with its labels. `pods` are candidates (any namespace);
// those in the Service's namespace matching its selector, with a podIP, not terminating and
// not finished, become addresses: Ready=True (or publishNotReadyAddresses) in addresses,
// others in notReadyAddresses; targetRef {Pod, namespace, name, uid} and nodeName set.
// A named targetPort resolves per pod through its containers' ports (a pod without that port
// is left out of that port). Addresses are grouped into subsets by identical port sets;
// addresses sort by ip then name, subsets by their ports. A Service without ports puts its
// pods in one subset without ports (headless).
config::Endpoints build_endpoints(const config::Service& service,
                                  const std::vector<const config::Pod*>& pods);

}  // namespace skiff::controller
