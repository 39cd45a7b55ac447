// kubectl's views of a Node: the `get nodes` row (NAME STATUS ROLES AGE VERSION) and
// `describe node` (capacity, allocatable, system info, the non-terminated pods on it with
// their requests and limits, and what is allocated in percent of allocatable). Pure.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::cli {

std::vector<std::string> node_header(bool wide);
std::vector<std::string> node_row(const config::Node& node, bool wide, std::time_t now);

// Everything of describe node up to (without) the pods on it.
std::string describe_node(const config::Node& node);
// "Non-terminated Pods:" and "Allocated resources:" for the pods bound to `node` (others in
// `pods` are skipped).
std::string describe_node_pods(const config::Node& node, const std::vector<config::Pod>& pods,
                               std::time_t now);

}  // namespace skiff::cli
