#include "cli/node_printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "cli/printers.h"
#include "config/labels.h"
#include "config/quantity.h"
#include "controller/scheduler_fit.h"

namespace skiff::cli {
namespace {

using Row = std::vector<std::string>;
using controller::ResourceAmounts;

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

// "name:" padded as kubectl's describe pads its first column.
std::string field(const std::string& name, const std::string& value, size_t width = 20) {
  std::string key = name + ":";
  return key + std::string(key.size() < width ? width - key.size() : 1, ' ') + value + "\n";
}

std::string quantity(const std::string& name, int64_t v) {
  return name == "cpu" ? config::format_milli_cpu(v) : config::format_bytes(v);
}

std::string amount_with_percent(const std::string& name, int64_t v, const ResourceAmounts& of) {
  auto it = of.find(name);
  const int64_t total = it == of.end() ? 0 : it->second;
  const int64_t pct =
      total > 0 ? static_cast<int64_t>(static_cast<double>(v) / static_cast<double>(total) * 100)
                : 0;
  return fmt::format("{} ({}%)", quantity(name, v), pct);
}

ResourceAmounts sum_limits(const config::Pod& pod) {
  ResourceAmounts out;
  for (const auto& c : pod.spec.containers) {
    auto limits = controller::parse_amounts(c.resources.limits, "limits");
    if (!limits) continue;
    for (const auto& [k, v] : *limits) out[k] += v;
  }
  return out;
}

int64_t get(const ResourceAmounts& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

void quantities(std::ostringstream& out, const std::string& title, const config::StringMap& m) {
  out << title << ":\n";
  size_t width = 0;
  for (const auto& [k, v] : m) width = std::max(width, k.size() + 1);
  for (const auto& [k, v] : m) {
    out << "  " << k << ":" << std::string(width - k.size() + 1, ' ') << v << "\n";
  }
}

}  // namespace

std::string describe_node(const config::Node& node) {
  std::ostringstream out;
  const auto& m = node.metadata;
  out << field("Name", m.name) << field("Roles", api::node_roles(node));
  // One label a line, as kubectl aligns them.
  std::string labels;
  for (const auto& [k, v] : m.labels) {
    labels += (labels.empty() ? "" : "\n" + std::string(20, ' ')) + k + "=" + v;
  }
  out << field("Labels", or_none(labels));
  out << field("Annotations", or_none(config::labels_to_string(m.annotations)));
  out << field("CreationTimestamp", or_none(m.creation_timestamp));
  out << field("Taints", "<none>");
  out << field("Unschedulable", node.spec.unschedulable ? "true" : "false");
  out << "Conditions:\n";
  std::vector<Row> rows{{"  Type", "Status", "LastTransitionTime", "Reason", "Message"},
                        {"  ----", "------", "------------------", "------", "-------"}};
  for (const auto& c : node.status.conditions) {
    rows.push_back({"  " + c.type, c.status, or_none(c.last_transition_time), c.reason, c.message});
  }
  out << render_rows(rows);
  out << "Addresses:\n";
  size_t width = 0;
  for (const auto& a : node.status.addresses) width = std::max(width, a.type.size());
  for (const auto& a : node.status.addresses) {
    out << "  " << a.type << ":" << std::string(width - a.type.size() + 2, ' ') << a.address
        << "\n";
  }
  quantities(out, "Capacity", node.status.capacity);
  quantities(out, "Allocatable", node.status.allocatable);
  const auto& info = node.status.node_info;
  out << "System Info:\n";
  out << field("  Kernel Version", info.kernel_version, 30)
      << field("  OS Image", info.os_image, 30)
      << field("  Operating System", info.operating_system, 30)
      << field("  Architecture", info.architecture, 30)
      << field("  Container Runtime Version", info.container_runtime_version, 30)
      << field("  Kubelet Version", info.kubelet_version, 30);
  return out.str();
}

std::string describe_node_pods(const config::Node& node, const std::vector<config::Pod>& pods,
                               std::time_t now) {
  auto allocatable = controller::parse_amounts(node.status.allocatable, "allocatable");
  const ResourceAmounts alloc = allocatable ? *allocatable : ResourceAmounts{};
  std::vector<const config::Pod*> mine;
  for (const auto& p : pods) {
    if (p.spec.node_name == node.metadata.name && controller::holds_resources(p)) {
      mine.push_back(&p);
    }
  }
  std::ostringstream out;
  out << field("Non-terminated Pods", "(" + std::to_string(mine.size()) + " in total)", 30);
  std::vector<Row> rows{{"  Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests",
                         "Memory Limits", "Age"},
                        {"  ---------", "----", "------------", "----------", "---------------",
                         "-------------", "---"}};
  ResourceAmounts total_requests, total_limits;
  for (const config::Pod* p : mine) {
    auto requests = controller::pod_requests(*p);
    const ResourceAmounts req = requests ? *requests : ResourceAmounts{};
    const ResourceAmounts lim = sum_limits(*p);
    for (const auto& [k, v] : req) total_requests[k] += v;
    for (const auto& [k, v] : lim) total_limits[k] += v;
    rows.push_back({"  " + p->metadata.namespace_, p->metadata.name,
                    amount_with_percent("cpu", get(req, "cpu"), alloc),
                    amount_with_percent("cpu", get(lim, "cpu"), alloc),
                    amount_with_percent("memory", get(req, "memory"), alloc),
                    amount_with_percent("memory", get(lim, "memory"), alloc),
                    age(p->metadata.creation_timestamp, now)});
  }
  if (!mine.empty()) out << render_rows(rows);
  out << "Allocated resources:\n"
      << "  (Total limits may be over 100 percent, i.e., overcommitted.)\n";
  std::vector<Row> alloc_rows{{"  Resource", "Requests", "Limits"},
                              {"  --------", "--------", "------"}};
  for (const char* name : {"cpu", "memory", "ephemeral-storage"}) {
    alloc_rows.push_back({std::string("  ") + name,
                          amount_with_percent(name, get(total_requests, name), alloc),
                          amount_with_percent(name, get(total_limits, name), alloc)});
  }
  out << render_rows(alloc_rows);
  return out.str();
}

}  // namespace skiff::cli
