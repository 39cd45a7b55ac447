// `skiff logs`: a pod's container output, as kubectl logs prints it; for a Deployment or
// ReplicaSet, one of its pods, chosen as kubectl chooses it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/client_commands.h"

namespace skiff::cli {

struct LogsOptions {
  std::string target;  // POD, pod/NAME, deploy/NAME, deployment/NAME, rs/NAME, replicaset/NAME
  std::string container;
  bool previous = false;
  bool follow = false;
  int64_t tail = -1;       // -1: all lines
  std::string since;       // a duration ("5m", "1h30m", "10s"); empty: all
  std::string since_time;  // RFC 3339; empty: all
  bool timestamps = false;
  int64_t limit_bytes = 0;  // 0: no limit
};

int cmd_logs(const ClientOptions& c, const LogsOptions& options);

// "1h30m", "5m", "10s", "500ms" (Go's time.ParseDuration units h, m, s, ms) in whole seconds,
// rounded up as kubectl rounds --since. nullopt: not a duration.
std::optional<int64_t> since_seconds(const std::string& text);

}  // namespace skiff::cli
