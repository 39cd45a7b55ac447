#include "controller/scheduler_fit.h"

#include <algorithm>
#include <limits>

#include "config/quantity.h"

namespace skiff::controller {
namespace {

// Saturating: a sum of many large requests must not wrap into room that does not exist.
int64_t add(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return std::numeric_limits<int64_t>::max();
  return out;
}

void add_into(ResourceAmounts& sum, const ResourceAmounts& more) {
  for (const auto& [name, amount] : more) sum[name] = add(sum[name], amount);
}

int64_t amount_of(const ResourceAmounts& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

config::Result<int64_t> resource_amount(const std::string& name, const std::string& quantity) {
  return name == "cpu" ? config::parse_quantity_milli(quantity)
                       : config::parse_quantity_value(quantity);
}

config::Result<ResourceAmounts> parse_amounts(const config::StringMap& quantities,
                                              const std::string& what) {
  ResourceAmounts out;
  for (const auto& [name, text] : quantities) {
    auto v = resource_amount(name, text);
    if (!v) return config::ApiError::bad_request(what + "[" + name + "]: " + v.error().message);
    out[name] = *v;
  }
  return out;
}

config::Result<ResourceAmounts> container_requests(const config::Container& c,
                                                   const std::string& path) {
  auto requests = parse_amounts(c.resources.requests, path + ".resources.requests");
  if (!requests) return requests.error();
  auto limits = parse_amounts(c.resources.limits, path + ".resources.limits");
  if (!limits) return limits.error();
  for (const auto& [name, amount] : *limits) requests->try_emplace(name, amount);
  return requests;
}

config::Result<ResourceAmounts> pod_requests(const config::Pod& pod) {
  ResourceAmounts sum;
  for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
    auto r =
        container_requests(pod.spec.containers[i], "spec.containers[" + std::to_string(i) + "]");
    if (!r) return r.error();
    add_into(sum, *r);
  }
  sum["pods"] = 1;
  return sum;
}

engine::ResourceLimits container_limits(const config::Container& c) {
  auto get = [](const config::StringMap& m, const std::string& name) -> int64_t {
    auto it = m.find(name);
    if (it == m.end()) return 0;
    auto v = resource_amount(name, it->second);
    return v && *v > 0 ? *v : 0;
  };
  engine::ResourceLimits out;
  out.memory_bytes = get(c.resources.limits, "memory");
  out.cpu_milli = get(c.resources.limits, "cpu");
  out.cpu_request_milli = get(c.resources.requests, "cpu");
  return out;
}

bool holds_resources(const config::Pod& pod) {
  return pod.status.phase != "Succeeded" && pod.status.phase != "Failed";
}

ResourceAmounts allocated_on(const std::vector<const config::Pod*>& pods,
                             const std::string& node_name) {
  ResourceAmounts sum;
  for (const config::Pod* pod : pods) {
    if (!pod || pod->spec.node_name != node_name || !holds_resources(*pod)) continue;
    auto r = pod_requests(*pod);
    add_into(sum, r ? *r : ResourceAmounts{{"pods", 1}});
  }
  return sum;
}

std::vector<std::string> misfit_reasons(const ResourceAmounts& requested,
                                        const ResourceAmounts& allocated,
                                        const ResourceAmounts& allocatable) {
  std::vector<std::string> reasons;
  for (const auto& [name, want] : requested) {
    if (want <= 0) continue;
    const int64_t free = amount_of(allocatable, name) - amount_of(allocated, name);
    if (want <= free) continue;
    reasons.push_back(name == "pods" ? "Too many pods" : "Insufficient " + name);
  }
  std::sort(reasons.begin(), reasons.end());
  return reasons;
}

std::string unschedulable_message(const std::vector<std::string>& reasons, int nodes) {
  if (nodes <= 0) return "no nodes available to schedule pods";
  std::string out = "0/" + std::to_string(nodes) + " nodes are available: ";
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(nodes) + " " + reasons[i];
  }
  out += ".";
  return out;
}

std::vector<Placement> place(const std::vector<PendingPod>& queue, ResourceAmounts allocated,
                             const ResourceAmounts& allocatable) {
  std::vector<Placement> out;
  out.reserve(queue.size());
  for (const auto& pod : queue) {
    Placement p{pod.uid, false, misfit_reasons(pod.requests, allocated, allocatable)};
    if (p.reasons.empty()) {
      p.bind = true;
      add_into(allocated, pod.requests);
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace skiff::controller
