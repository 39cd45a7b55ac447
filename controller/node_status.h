// The Node object the daemon publishes for the machine it runs on: capacity (the machine's
// CPUs, memory and disk, or what --node-cpu / --node-memory say), allocatable (capacity minus
// --system-reserved, as kubelet's Node Allocatable), the pods limit, Ready and the pressure
// conditions, addresses and nodeInfo. The scheduler places pods against its allocatable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "config/objects.h"
#include "config/status.h"
#include "controller/scheduler_fit.h"
#include "controller/store.h"

namespace skiff::controller {

// What the machine has, read from the system (machine_facts) or given by tests.
struct MachineFacts {
  int64_t cpu_milli = 0;        // online CPUs x 1000
  int64_t memory_bytes = 0;     // MemTotal
  int64_t ephemeral_bytes = 0;  // size of the filesystem holding the state dir
  std::string kernel_version;   // uname -r
  std::string os_image;         // PRETTY_NAME of /etc/os-release
  std::string architecture;     // "amd64", "arm64" (GOARCH names, as kubelet reports)
  std::string hostname;
};

MachineFacts machine_facts(const std::filesystem::path& state_dir);

// The daemon's flags about its node, as given ("" for a default).
struct NodeConfig {
  std::string name = "skiff";
  std::string address = "127.0.0.1";
  std::string cpu;     // --node-cpu: a quantity overriding the machine's CPUs ("2", "1500m")
  std::string memory;  // --node-memory: overriding MemTotal ("1Gi")
  std::string system_reserved = "cpu=100m,memory=256Mi";  // --system-reserved
  int max_pods = 110;                                     // --max-pods
  std::string runtime_version;  // nodeInfo.containerRuntimeVersion: "process://0.1.0"
  std::string kubelet_version;  // "v0.1.0-skiff"
};

// "cpu=100m,memory=256Mi" into amounts ("" is none); BadRequest naming the bad entry.
config::Result<ResourceAmounts> parse_reserved(std::string_view text);

// The Node for `config` on `machine`; BadRequest for a bad flag value, or a reserve that
// leaves nothing allocatable of cpu or memory.
config::Result<config::Node> build_node(const NodeConfig& config, const MachineFacts& machine);

// Creates the Node, or replaces its labels, spec and status if a restart finds it stored.
config::Result<ObjectPtr> publish_node(Store& store, const config::Node& node);

}  // namespace skiff::controller
