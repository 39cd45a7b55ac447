// Starting a host process the way a container starts: its own session and process group, an
// exact environment (nothing inherited from the daemon), argv[0] looked up on the container's
// PATH, stdin from /dev/null and stdout+stderr to one descriptor. Errors from exec are reported
// the way a shell would, on the process's own output, with exit code 127 (not found) or 126.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "config/status.h"
#include "controller/engine/engine.h"

namespace skiff::controller::engine {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  int output_fd = -1;  // stdout and stderr; the caller keeps ownership
  // Non-empty: the process gets a mount namespace of its own (unshare(CLONE_NEWNS), / made
  // rslave so host unmounts reach it) with each source bind-mounted at its target, in order;
  // missing targets are created (folders, or an empty file for a file source) on the way.
  // Needs root. A failure is reported by spawn_process (the process never runs).
  std::vector<Mount> mounts = {};
  // >= 0: the process joins this mount namespace first (an exec in a container that has
  // one); the caller keeps ownership.
  int mount_ns_fd = -1;
  // cgroup.procs files the process writes itself into before anything else runs, so its
  // limits hold from its first byte (cgroup.h). A failed join ends it with exit code 125 and
  // the reason on its output.
  std::vector<std::string> cgroup_procs;
};

struct Spawned {
  pid_t pid = -1;  // also the process group id
  int pidfd = -1;  // readable once the process exited; owned by the caller
};

// Errors (ApiError InternalError) only when the process could not be created at all (fork or
// pidfd_open failed) or its mounts could not be made (RunContainerError, with the mount and
// the reason); a missing program still gives a process that exits 127.
config::Result<Spawned> spawn_process(const SpawnSpec& spec);

// argv0 as execvp would find it on `path` (a PATH value); argv0 itself when it has a '/';
// "" when no executable file matches.
std::string resolve_on_path(const std::string& argv0, const std::string& path);

// Exit status of a reaped process: {exit_code (128 + signal when signalled), signal}.
struct ExitStatus {
  int exit_code = 0;
  int signal = 0;
};
// Reaps the (already exited) process without blocking; false if it is not reapable yet.
bool reap(pid_t pid, ExitStatus& status);

}  // namespace skiff::controller::engine
