// The client verbs (apply, get, describe, delete, scale, logs): each talks to a running
// daemon through the HTTP API, as kubectl talks to an API server.
#pragma once

#include <string>
#include <vector>

#include "api/client.h"
#include "config/status.h"

namespace skiff::cli {

struct ClientOptions {
  std::string server = "127.0.0.1:8080";  // --server / SKIFF_SERVER
  std::string ns = "default";
  bool all_namespaces = false;
};

// The API client for --server, and kubectl's "Error from server (Reason): message" (returns 1).
api::Client make_client(const ClientOptions& c);
int fail(const config::ApiError& e);

int cmd_apply(const ClientOptions& c, const std::vector<std::string>& files);
int cmd_get(const ClientOptions& c, const std::string& kinds, const std::vector<std::string>& names,
            const std::string& output, bool watch, const std::string& selector);
int cmd_describe(const ClientOptions& c, const std::string& kind,
                 const std::vector<std::string>& names);
int cmd_delete(const ClientOptions& c, const std::vector<std::string>& args,
               const std::vector<std::string>& files, bool wait);
int cmd_scale(const ClientOptions& c, const std::vector<std::string>& args, int replicas);
// cmd_logs: cli/logs_command.h.

}  // namespace skiff::cli
