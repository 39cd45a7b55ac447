// kubectl's `describe node` (capacity, allocatable, system info, the non-terminated pods on it with
// their requests and limits, and what is allocated in percent of allocatable). Pure.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::cli {

// Everything of describe node up to (without) the pods on it.
std::string describe_node(const config::Node& node);
// "Non-terminated Pods:" and "Allocated resources:" for the pods bound to `node` (others in
// `pods` are skipped).
std::string describe_node_pods(const config::Node& node, const std::vector<config::Pod>& pods,
                               std::time_t now);

}  // namespace skiff::cli
