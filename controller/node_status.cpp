#include "controller/node_status.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "config/quantity.h"
#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

int64_t amount(const ResourceAmounts& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

std::string quantity_of(const std::string& name, int64_t v) {
  return name == "cpu" ? config::format_milli_cpu(v) : config::format_bytes(v);
}

std::string goarch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  if (machine.starts_with("armv")) return "arm";
  return machine;
}

config::Condition condition(const char* type, const char* status, const char* reason,
                            const char* message) {
  config::Condition c;
  c.type = type;
  c.status = status;
  c.reason = reason;
  c.message = message;
  return c;
}

}  // namespace

MachineFacts machine_facts(const std::filesystem::path& state_dir) {
  MachineFacts f;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  f.cpu_milli = (cpus > 0 ? cpus : 1) * 1000;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemTotal:") {
      f.memory_bytes = kb * 1024;
      break;
    }
    meminfo.ignore(1 << 10, '\n');
  }
  struct statvfs vfs {};
  if (::statvfs(state_dir.c_str(), &vfs) == 0) {
    f.ephemeral_bytes = static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize);
  }
  struct utsname u {};
  if (::uname(&u) == 0) {
    f.kernel_version = u.release;
    f.architecture = goarch(u.machine);
    f.hostname = u.nodename;
  }
  std::ifstream os("/etc/os-release");
  std::string line;
  while (std::getline(os, line)) {
    if (!line.starts_with("PRETTY_NAME=")) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    f.os_image = v;
  }
  return f;
}

config::Result<ResourceAmounts> parse_reserved(std::string_view text) {
  ResourceAmounts out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string entry = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      return config::ApiError::bad_request("--system-reserved: \"" + entry +
                                           "\" is not NAME=QUANTITY");
    }
    const std::string name = trim(entry.substr(0, eq));
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage") {
      return config::ApiError::bad_request("--system-reserved: unknown resource \"" + name +
                                           "\" (cpu, memory, ephemeral-storage)");
    }
    auto v = resource_amount(name, trim(entry.substr(eq + 1)));
    if (!v) return config::ApiError::bad_request("--system-reserved: " + v.error().message);
    if (*v < 0) {
      return config::ApiError::bad_request("--system-reserved: " + name + " must not be negative");
    }
    out[name] = *v;
  }
  return out;
}

config::Result<config::Node> build_node(const NodeConfig& cfg, const MachineFacts& machine) {
  ResourceAmounts capacity{
      {"cpu", machine.cpu_milli}, {"memory", machine.memory_bytes}, {"pods", cfg.max_pods}};
  if (machine.ephemeral_bytes > 0) capacity["ephemeral-storage"] = machine.ephemeral_bytes;
  auto override_with = [&](const std::string& flag, const std::string& name,
                           const std::string& text) -> std::optional<config::ApiError> {
    if (text.empty()) return std::nullopt;
    auto v = resource_amount(name, text);
    if (!v) return config::ApiError::bad_request(flag + ": " + v.error().message);
    if (*v <= 0) return config::ApiError::bad_request(flag + ": must be more than 0");
    capacity[name] = *v;
    return std::nullopt;
  };
  if (auto e = override_with("--node-cpu", "cpu", cfg.cpu)) return *e;
  if (auto e = override_with("--node-memory", "memory", cfg.memory)) return *e;
  if (cfg.max_pods <= 0) return config::ApiError::bad_request("--max-pods: must be more than 0");
  auto reserved = parse_reserved(cfg.system_reserved);
  if (!reserved) return reserved.error();

  config::Node node;
  node.metadata.name = cfg.name;
  node.metadata.namespace_ = "";
  const std::string arch = machine.architecture.empty() ? "amd64" : machine.architecture;
  node.metadata.labels = {
      {"beta.kubernetes.io/arch", arch}, {"beta.kubernetes.io/os", "linux"},
      {"kubernetes.io/arch", arch},      {"kubernetes.io/hostname", cfg.name},
      {"kubernetes.io/os", "linux"},     {"node-role.kubernetes.io/control-plane", ""}};
  for (const auto& [name, cap] : capacity) {
    node.status.capacity[name] = quantity_of(name, cap);
    const int64_t left = cap - amount(*reserved, name);
    if (left <= 0 && (name == "cpu" || name == "memory")) {
      return config::ApiError::bad_request(
          "--system-reserved: reserving " + quantity_of(name, amount(*reserved, name)) + " of " +
          name + " leaves nothing allocatable (the node has " + quantity_of(name, cap) + ")");
    }
    node.status.allocatable[name] = quantity_of(name, std::max<int64_t>(0, left));
  }
  node.status.conditions = {
      condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available"),
      condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure"),
      condition("PIDPressure", "False", "KubeletHasSufficientPID",
                "kubelet has sufficient PID available"),
      condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
  };
  node.status.addresses = {{"InternalIP", cfg.address},
                           {"Hostname", machine.hostname.empty() ? cfg.name : machine.hostname}};
  node.status.node_info.kernel_version = machine.kernel_version;
  node.status.node_info.os_image = machine.os_image;
  node.status.node_info.operating_system = "linux";
  node.status.node_info.architecture = arch;
  node.status.node_info.container_runtime_version = cfg.runtime_version;
  node.status.node_info.kubelet_version = cfg.kubelet_version;
  return node;
}

config::Result<ObjectPtr> publish_node(Store& store, const config::Node& node) {
  config::Node next = node;
  const std::string now = rfc3339_now();
  const auto* stored = as<config::Node>(store.get(Kind::kNode, "", node.metadata.name));
  for (auto& c : next.status.conditions) {
    c.last_transition_time = now;
    if (!stored) continue;
    for (const auto& old : stored->status.conditions) {
      if (old.type == c.type && old.status == c.status) {
        c.last_transition_time = old.last_transition_time;
      }
    }
  }
  if (!stored) return store.create(next);
  config::Node updated = *stored;  // spec (a cordon) and other labels are the user's
  for (const auto& [k, v] : next.metadata.labels) updated.metadata.labels[k] = v;
  auto r = store.update(updated);
  if (!r) return r;
  const auto* current = as<config::Node>(*r);
  if (!current) return r;
  updated = *current;
  updated.status = next.status;
  return store.update_status(updated);
}

}  // namespace skiff::controller
