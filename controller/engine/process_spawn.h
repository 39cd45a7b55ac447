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

namespace skiff::controller::engine {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  int output_fd = -1;  // stdout and stderr; the caller keeps ownership
};

struct Spawned {
  pid_t pid = -1;  // also the process group id
  int pidfd = -1;  // readable once the process exited; owned by the caller
};

// Errors (ApiError InternalError) only when the process could not be created at all (fork or
// pidfd_open failed); a missing program still gives a process that exits 127.
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
