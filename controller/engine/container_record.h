// What the process engine writes down about each running container so that a later daemon
// can take it back (STATE_DIR/containers/<id>.json, framed by controller/object_file.h), and
// the facts of /proc/<pid>/stat that prove a pid still names that same process.
//
// A pid alone proves nothing: after the process ended the kernel may hand the number to any
// new process. The start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) of the
// process that has the pid now must equal the recorded one; with the pid, it identifies one
// process for the life of the machine's boot. Pure: no I/O, unit-tested directly.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skiff::controller::engine {

struct ContainerRecord {
  std::string container_id;
  pid_t pid = -1;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string container_name;
  std::string sandbox_id;
  std::string pod_ip;
  int restart_count = 0;
  std::string started_at;  // RFC 3339
  std::string log_path;
  std::string pod_dir;
  // For exec probes into the adopted container: the environment and folder it runs with.
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_dir;
  bool operator==(const ContainerRecord&) const = default;
};

std::string record_to_json(const ContainerRecord& record);
// nullopt with *error set when the text is not a whole record.
std::optional<ContainerRecord> record_from_json(std::string_view text, std::string* error);

struct ProcStat {
  pid_t pid = 0;
  char state = '?';  // R, S, D, Z, ...
  pid_t pgrp = 0;
  pid_t session = 0;
  uint64_t start_time = 0;
};
// Parses a /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses,
// so fields are counted from its last ')'. nullopt when the line is malformed.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// Whether the process described by `now` is the one `record` was written for, and if not,
// why (for the log): same pid and start time, and still the leader of its own session and
// process group (as the engine started it).
std::optional<std::string> identity_mismatch(const ContainerRecord& record, const ProcStat& now);

}  // namespace skiff::controller::engine
