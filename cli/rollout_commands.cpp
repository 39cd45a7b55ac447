#include "cli/rollout_commands.h"

#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <optional>

#include "cli/printers.h"
#include "config/kinds.h"
#include "config/objects_json.h"
#include "controller/deployment_history.h"
#include "controller/deployment_rollout.h"
#include "controller/rfc3339.h"

namespace skiff::cli {
namespace {

using config::json;
using config::Kind;

constexpr int kUpdateAttempts = 5;  // a Conflict (the controller wrote meanwhile) retries

// "deployment/web", "deploy/web", "deployments web": the Deployment's name, or nullopt after
// printing kubectl's error.
std::optional<std::string> deployment_name(const std::vector<std::string>& target) {
  std::string kind, name;
  if (target.size() == 1 && target[0].find('/') != std::string::npos) {
    kind = target[0].substr(0, target[0].find('/'));
    name = target[0].substr(target[0].find('/') + 1);
  } else if (target.size() == 2) {
    kind = target[0];
    name = target[1];
  } else {
    std::cerr << "error: required resource not specified: use deployment/NAME\n";
    return std::nullopt;
  }
  auto k = config::kind_from_name(kind);
  if (!k) {
    std::cerr << "error: the server doesn't have a resource type \"" << kind << "\"\n";
    return std::nullopt;
  }
  if (*k != Kind::kDeployment) {
    std::cerr << "error: no rollout support for " << config::kind_info(*k).resource
              << " (only deployments)\n";
    return std::nullopt;
  }
  if (name.empty()) {
    std::cerr << "error: a resource name is required: use deployment/NAME\n";
    return std::nullopt;
  }
  return name;
}

std::string deployment_path(const ClientOptions& c, const std::string& name) {
  return config::collection_path(Kind::kDeployment, c.ns) + "/" + name;
}

config::Result<config::Deployment> get_deployment(api::Client& client, const ClientOptions& c,
                                                  const std::string& name) {
  auto body = client.get(deployment_path(c, name));
  if (!body) return body.error();
  auto obj = config::object_from_json(Kind::kDeployment, *body);
  if (!obj) return obj.error();
  return std::get<config::Deployment>(std::move(*obj));
}

config::Result<std::vector<config::ReplicaSet>> list_replica_sets(api::Client& client,
                                                                  const ClientOptions& c) {
  auto list = client.get(config::collection_path(Kind::kReplicaSet, c.ns));
  if (!list) return list.error();
  std::vector<config::ReplicaSet> out;
  for (const auto& item : (*list).value("items", json::array())) {
    auto obj = config::object_from_json(Kind::kReplicaSet, item);
    if (obj) out.push_back(std::get<config::ReplicaSet>(std::move(*obj)));
  }
  return out;
}

// GET, change, PUT with the read resourceVersion; a Conflict starts over. `change` returns
// false to leave the Deployment as it is (its message already printed).
int update_deployment(api::Client& client, const ClientOptions& c, const std::string& name,
                      const std::function<bool(config::Deployment&)>& change) {
  for (int attempt = 0;; ++attempt) {
    auto d = get_deployment(client, c, name);
    if (!d) return fail(d.error());
    if (!change(*d)) return 0;
    auto r = client.put(deployment_path(c, name), config::to_json(config::Object(*d)));
    if (r) return -1;  // changed: the caller prints its message
    if (r.error().code != 409 || attempt + 1 >= kUpdateAttempts) return fail(r.error());
  }
}

std::string deployment_ref(const std::string& name) { return "deployment.apps/" + name; }

}  // namespace

int cmd_rollout_status(const ClientOptions& c, const std::vector<std::string>& target,
                       std::chrono::milliseconds timeout, bool watch) {
  auto name = deployment_name(target);
  if (!name) return 1;
  auto client = make_client(c);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timed_out = [&] {
    return timeout.count() > 0 && std::chrono::steady_clock::now() >= deadline;
  };
  std::string last_printed;
  // 0 done, 1 failed, -1 keep waiting.
  auto show = [&](const config::Deployment& d) {
    auto status = controller::rollout_status(d);
    if (status.failed) {
      std::cerr << "error: " << status.message << "\n";
      return 1;
    }
    if (status.message != last_printed) {
      std::cout << status.message << "\n" << std::flush;
      last_printed = status.message;
    }
    return status.done ? 0 : -1;
  };
  while (true) {
    auto body = client.get(deployment_path(c, *name));
    if (!body) return fail(body.error());
    auto obj = config::object_from_json(Kind::kDeployment, *body);
    if (!obj) return fail(obj.error());
    int rc = show(std::get<config::Deployment>(*obj));
    if (rc >= 0) return rc;
    if (!watch) return 1;
    if (timed_out()) break;
    // Events from after what was read; the stream ends when the deadline passes idle.
    const std::string version = (*body)["metadata"].value("resourceVersion", "0");
    if (timeout.count() > 0) {
      client.set_watch_idle_timeout(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
    }
    int result = -1;
    auto watched = client.watch(
        config::collection_path(Kind::kDeployment, c.ns) +
            "?watch=true&fieldSelector=metadata.name%3D" + *name + "&resourceVersion=" + version,
        [&](const json& event) {
          if (event.value("type", "") == "DELETED") {
            std::cerr << "error: deployment \"" << *name << "\" was deleted\n";
            result = 1;
            return false;
          }
          auto o = config::object_from_json(Kind::kDeployment, event["object"]);
          if (o) result = show(std::get<config::Deployment>(*o));
          return result < 0 && !timed_out();
        });
    if (result >= 0) return result;
    if (!watched && watched.error().reason != "Timeout") return fail(watched.error());
    if (timed_out()) break;
    // The stream ended (the daemon closed it): read again and watch on.
  }
  std::cerr << "error: timed out waiting for the condition\n";
  return 1;
}

int cmd_rollout_history(const ClientOptions& c, const std::vector<std::string>& target,
                        int revision) {
  auto name = deployment_name(target);
  if (!name) return 1;
  auto client = make_client(c);
  auto d = get_deployment(client, c, *name);
  if (!d) return fail(d.error());
  auto sets = list_replica_sets(client, c);
  if (!sets) return fail(sets.error());
  auto history = controller::revision_history(*d, *sets);
  if (revision > 0) {
    for (const auto& e : history) {
      if (e.revision != revision) continue;
      std::cout << deployment_ref(*name) << " with revision #" << revision << "\n"
                << describe_pod_template(e.replica_set->spec.template_);
      return 0;
    }
    std::cerr << "error: unable to find the specified revision\n";
    return 1;
  }
  std::cout << deployment_ref(*name) << "\n";
  if (history.empty()) {
    std::cout << "No rollout history found.\n";
    return 0;
  }
  std::cout << fmt::format("{:<10}{}\n", "REVISION", "CHANGE-CAUSE");
  for (const auto& e : history) {
    std::cout << fmt::format("{:<10}{}\n", e.revision,
                             e.change_cause.empty() ? "<none>" : e.change_cause);
  }
  return 0;
}

int cmd_rollout_undo(const ClientOptions& c, const std::vector<std::string>& target,
                     int to_revision) {
  auto name = deployment_name(target);
  if (!name) return 1;
  auto client = make_client(c);
  auto sets = list_replica_sets(client, c);
  if (!sets) return fail(sets.error());
  bool refused = false;
  int rc = update_deployment(client, c, *name, [&](config::Deployment& d) {
    refused = true;
    if (d.spec.paused) {
      std::cerr << "error: you cannot rollback a paused deployment; resume it first with "
                   "'skiff rollout resume' and try again\n";
      return false;
    }
    auto source = controller::rollback_source(d, *sets, to_revision);
    if (!source) {
      std::cerr << "error: " << source.error().message << "\n";
      return false;
    }
    bool unchanged = false;
    auto next = controller::rolled_back(d, **source, &unchanged);
    if (unchanged) {
      std::cout << deployment_ref(*name)
                << " skipped rollback (current template already matches revision "
                << controller::revision_of((*source)->metadata) << ")\n";
      refused = false;
      return false;
    }
    refused = false;
    d = std::move(next);
    return true;
  });
  if (rc >= 0) return refused ? 1 : rc;
  std::cout << deployment_ref(*name) << " rolled back\n";
  return 0;
}

int cmd_rollout_restart(const ClientOptions& c, const std::vector<std::string>& target) {
  auto name = deployment_name(target);
  if (!name) return 1;
  auto client = make_client(c);
  bool refused = false;
  int rc = update_deployment(client, c, *name, [&](config::Deployment& d) {
    if (d.spec.paused) {
      std::cerr << "error: deployments.apps \"" << *name
                << "\" can't restart paused deployment (run rollout resume first)\n";
      refused = true;
      return false;
    }
    d.spec.template_.metadata.annotations["kubectl.kubernetes.io/restartedAt"] =
        controller::rfc3339_now();
    return true;
  });
  if (rc >= 0) return refused ? 1 : rc;
  std::cout << deployment_ref(*name) << " restarted\n";
  return 0;
}

int cmd_rollout_pause(const ClientOptions& c, const std::vector<std::string>& target, bool pause) {
  auto name = deployment_name(target);
  if (!name) return 1;
  auto client = make_client(c);
  bool already = false;
  int rc = update_deployment(client, c, *name, [&](config::Deployment& d) {
    if (d.spec.paused == pause) {
      already = true;
      return false;
    }
    d.spec.paused = pause;
    return true;
  });
  if (already) {
    std::cerr << "error: deployments.apps \"" << *name << "\" is "
              << (pause ? "already paused" : "not paused") << "\n";
    return 1;
  }
  if (rc >= 0) return rc;
  std::cout << deployment_ref(*name) << (pause ? " paused\n" : " resumed\n");
  return 0;
}

}  // namespace skiff::cli
