// Resource limits of the process engine's containers, enforced through cgroups as kubelet
// does: each container with limits gets its own cgroup, memory.limit_in_bytes (v1) or
// memory.max (v2) from limits.memory with swap off, and a CFS quota from limits.cpu. The child
// joins its cgroups between fork and exec (SpawnSpec::cgroup_procs), so every byte it ever
// allocates is charged to them.
//
// Where: under the daemon's own cgroup, as a delegated subtree
// (<mount>/<own path>/skiff/<pod uid>/<container>), never above it, so whatever limits the
// daemon's own cgroup has still bound its containers.
//
// v1 (memory and cpu hierarchies) or v2 (the unified hierarchy, when /sys/fs/cgroup holds
// cgroup.controllers). On v2 the daemon's cgroup must have memory and cpu in its
// cgroup.controllers (systemd: Delegate=yes) and, unless it is the root, hold no processes
// once it enables them for its children (the no-internal-process rule of cgroup-v2.rst). The
// daemon moves itself into the leaf <own>/skiff-daemon, where its unlimited containers also
// run; it moves nobody else, so a cgroup shared with other processes (a login session) cannot
// delegate and limits are reported unenforced.
//
// OOM kills are counted by the kernel per cgroup (v1 memory.oom_control `oom_kill`, v2
// memory.events `oom_kill`): a container whose counter grew while it ran was OOM-killed,
// as Docker decides OOMKilled.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace skiff::controller::engine {

// ---- Pure parts ------------------------------------------------------------------------

// Controller (or "" for the v2 unified line) -> path, from /proc/self/cgroup text.
// "4:memory:/a/b" -> {"memory": "/a/b"}; "2:cpu,cpuacct:/x" gives both; "0::/y" -> {"": "/y"}.
std::map<std::string, std::string> parse_proc_cgroup(std::string_view text);

// The `oom_kill N` counter of memory.oom_control (v1) or memory.events (v2); nullopt when
// the kernel does not keep it.
std::optional<uint64_t> parse_oom_kill_count(std::string_view text);

// CFS quota for limits.cpu in milli-CPU with `period_us`, as kubelet computes it: milli *
// period / 1000, at least 1 ms.
int64_t cpu_quota_us(int64_t milli_cpu, int64_t period_us = 100000);
// cpu.shares (v1) from requests.cpu, as kubelet: milli * 1024 / 1000, at least 2.
int64_t cpu_shares(int64_t milli_cpu);
// cpu.weight (v2) from cpu.shares, as the runtimes convert it: 1 + (shares - 2) * 9999 / 262142.
int64_t cpu_weight(int64_t shares);

// ---- The cgroups themselves ------------------------------------------------------------

// The v2 leaf the daemon moves itself into, beside the `skiff` folder of its containers.
inline constexpr const char* kDaemonLeaf = "skiff-daemon";

// Empties the v2 cgroup `dir` of the daemon `self` (cgroup.procs lists thread-group ids; the
// write moves every thread) by moving it into dir/kDaemonLeaf, so that `dir` may enable
// controllers for its children. Nothing to do when `dir` holds no process; an error naming
// the others when `dir` holds processes besides `self`, as those are not skiff's to move.
std::optional<std::string> vacate_cgroup(const std::filesystem::path& dir, pid_t self);

struct ContainerLimits {
  int64_t memory_bytes = 0;       // limits.memory; 0: none
  int64_t cpu_milli = 0;          // limits.cpu; 0: none
  int64_t cpu_request_milli = 0;  // requests.cpu: the share weight when a cgroup is made
  bool any() const { return memory_bytes > 0 || cpu_milli > 0; }
};

// One container's cgroups (one per v1 hierarchy, or one v2 cgroup).
struct ContainerCgroup {
  std::vector<std::filesystem::path> dirs;
  std::filesystem::path oom_file;  // memory.oom_control or memory.events; empty: no memory cgroup
  uint64_t oom_kills_at_start = 0;
  // The cgroup.procs files the child writes itself into.
  std::vector<std::string> procs_files() const;
  bool empty() const { return dirs.empty(); }
};

class CgroupManager {
 public:
  // Looks at `root` (normally /sys/fs/cgroup) and `proc_self_cgroup` (the text of
  // /proc/self/cgroup); unavailable() says why limits cannot be enforced. On v2 it enables
  // memory and cpu for the daemon's children, moving the daemon into its leaf first (see
  // above); a daemon already in <p>/skiff-daemon (a restart in place) delegates from <p>.
  // Folders are made only for containers with limits, and removed with them, skiff's own
  // folder included.
  static CgroupManager detect(const std::filesystem::path& root = "/sys/fs/cgroup",
                              const std::string& proc_self_cgroup = {});

  // Why limits cannot be enforced on this machine ("" when they can): not root, no memory
  // or cpu controller, a v2 cgroup that cannot delegate.
  const std::string& unavailable() const { return unavailable_; }
  int version() const { return version_; }

  // Creates the container's cgroups with `limits` written. Nothing (an empty handle) when the
  // limits are none; an error naming the file and the reason when a write fails. On v2 every
  // limit is written, "max" where there is none, so a folder left by an earlier container
  // keeps no stale value; the OOM counter is memory.events whatever the limits.
  config::Result<ContainerCgroup> create(const std::string& pod_uid, const std::string& container,
                                         const ContainerLimits& limits) const;
  // The cgroups of a container started by an earlier daemon (adopted), with the OOM counter
  // as it stands now; empty when it has none.
  ContainerCgroup find(const std::string& pod_uid, const std::string& container) const;
  // Whether the kernel OOM-killed a process of the container since it started.
  bool oom_killed(const ContainerCgroup& cg) const;
  // Kills whatever is left in the container's cgroups (SIGKILL) and removes them, and the
  // pod's folder once it is empty. False when a cgroup still has processes (retry later).
  bool remove(const ContainerCgroup& cg) const;

 private:
  std::filesystem::path container_dir(const std::filesystem::path& base, const std::string& pod_uid,
                                      const std::string& container) const;

  int version_ = 0;
  std::string unavailable_ = "cgroups were not detected";
  // v1: the skiff folder in the memory and cpu hierarchies; v2: memory holds the one folder.
  std::filesystem::path memory_base_;
  std::filesystem::path cpu_base_;
};

}  // namespace skiff::controller::engine
