// The scheduler's decisions, free of I/O: what a pod requests, what a node can still give, and
// which pending pods fit, as kube-scheduler's NodeResourcesFit plugin decides it.
//
// Amounts are integers per resource name: "cpu" in milli-CPU, "pods" as a count, everything
// else ("memory", "ephemeral-storage", "hugepages-2Mi", "example.com/gpu") in whole units.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/objects.h"
#include "config/status.h"
#include "controller/engine/engine.h"

namespace skiff::controller {

using ResourceAmounts = std::map<std::string, int64_t>;

// One parsed quantity of resource `name` ("cpu" in milli-CPU, the rest in units).
config::Result<int64_t> resource_amount(const std::string& name, const std::string& quantity);
// A quantity map (requests, limits, capacity) parsed; the first bad entry is the error, its
// message naming `what` ("spec.containers[0].resources.requests[memory]").
config::Result<ResourceAmounts> parse_amounts(const config::StringMap& quantities,
                                              const std::string& what);

// What a container requests: its requests, and, for a resource with a limit but no request,
// the limit (the API server's defaulting).
config::Result<ResourceAmounts> container_requests(const config::Container& c,
                                                   const std::string& path);
// The sum over the pod's containers, plus "pods": 1.
config::Result<ResourceAmounts> pod_requests(const config::Pod& pod);

// limits.memory, limits.cpu and requests.cpu of a container as the engine enforces them; a
// missing or unparseable quantity (validation refuses those) is 0: none.
engine::ResourceLimits container_limits(const config::Container& c);

// Whether a pod bound to a node still holds its share: everything but Succeeded and Failed
// (a terminating pod holds it until it is gone, as in Kubernetes).
bool holds_resources(const config::Pod& pod);

// Resources of `pods` that are bound to `node_name` and hold them, summed. Pods whose
// requests do not parse count as their "pods": 1 only.
ResourceAmounts allocated_on(const std::vector<const config::Pod*>& pods,
                             const std::string& node_name);

// The reasons (kube-scheduler's words, sorted) why `requested` does not fit beside
// `allocated` within `allocatable`: "Insufficient cpu", "Insufficient memory",
// "Too many pods". Empty: it fits. A resource the pod requests none of is not checked.
std::vector<std::string> misfit_reasons(const ResourceAmounts& requested,
                                        const ResourceAmounts& allocated,
                                        const ResourceAmounts& allocatable);

// The PodScheduled=False message for a pod no node takes, as kube-scheduler words it for
// `nodes` nodes that each failed for `reasons`: "0/1 nodes are available: 1 Insufficient
// memory." With no node at all: "no nodes available to schedule pods".
std::string unschedulable_message(const std::vector<std::string>& reasons, int nodes);

struct PendingPod {
  std::string uid;
  ResourceAmounts requests;
};

struct Placement {
  std::string uid;
  bool bind = false;
  std::vector<std::string> reasons;  // !bind: why it does not fit
};

// One scheduling pass on a single node: pending pods in queue order (FIFO by creation), each
// bound if it fits beside what is allocated and what this pass already placed. A pod that does
// not fit does not block smaller pods behind it.
std::vector<Placement> place(const std::vector<PendingPod>& queue, ResourceAmounts allocated,
                             const ResourceAmounts& allocatable);

}  // namespace skiff::controller
