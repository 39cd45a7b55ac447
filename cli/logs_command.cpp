#include "cli/logs_command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/kinds.h"

namespace skiff::cli {
namespace {

using nlohmann::json;

std::string escape(const std::string& text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", ch);
      out += buf;
    }
  }
  return out;
}

// A workload's selector as labelSelector text ("app=web,tier in (a,b)").
std::string selector_text(const json& selector) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ",") + part; };
  if (auto m = selector.find("matchLabels"); m != selector.end() && m->is_object()) {
    for (const auto& [k, v] : m->items()) add(k + "=" + v.get<std::string>());
  }
  if (auto e = selector.find("matchExpressions"); e != selector.end() && e->is_array()) {
    for (const auto& r : *e) {
      const std::string key = r.value("key", "");
      const std::string op = r.value("operator", "");
      std::string values;
      for (const auto& v : r.value("values", json::array())) {
        values += (values.empty() ? "" : ",") + v.get<std::string>();
      }
      if (op == "In") add(key + " in (" + values + ")");
      if (op == "NotIn") add(key + " notin (" + values + ")");
      if (op == "Exists") add(key);
      if (op == "DoesNotExist") add("!" + key);
    }
  }
  return out;
}

// kubectl's podutils.ByLogging: the pod whose logs are most worth showing comes first —
// scheduled, then running before unknown before pending, ready, more restarts, ready
// longer, older.
bool by_logging(const json& a, const json& b) {
  auto status = [](const json& p) { return p.value("status", json::object()); };
  auto phase_rank = [&](const json& p) {
    const std::string phase = status(p).value("phase", "");
    return phase == "Running" ? 0 : phase == "Unknown" ? 1 : phase == "Pending" ? 2 : 3;
  };
  auto ready = [&](const json& p) {
    for (const auto& c : status(p).value("conditions", json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
    }
    return false;
  };
  auto ready_since = [&](const json& p) {
    for (const auto& c : status(p).value("conditions", json::array())) {
      if (c.value("type", "") == "Ready") return c.value("lastTransitionTime", "");
    }
    return std::string();
  };
  auto restarts = [&](const json& p) {
    int most = 0;
    for (const auto& c : status(p).value("containerStatuses", json::array())) {
      most = std::max(most, c.value("restartCount", 0));
    }
    return most;
  };
  auto created = [](const json& p) {
    return p.value("metadata", json::object()).value("creationTimestamp", "");
  };
  if (phase_rank(a) != phase_rank(b)) return phase_rank(a) < phase_rank(b);
  if (ready(a) != ready(b)) return ready(a);
  if (restarts(a) != restarts(b)) return restarts(a) > restarts(b);
  if (ready(a) && ready_since(a) != ready_since(b)) return ready_since(a) < ready_since(b);
  return created(a) < created(b);
}

// The pod a target names: itself, or for a workload the best of its pods (with kubectl's note
// on stderr when there was a choice).
config::Result<std::string> resolve_pod(api::Client& client, const ClientOptions& c,
                                        const std::string& target) {
  const auto slash = target.find('/');
  if (slash == std::string::npos) return target;
  const std::string kind_text = target.substr(0, slash);
  const std::string name = target.substr(slash + 1);
  auto kind = config::kind_from_name(kind_text);
  if (!kind || name.empty() ||
      (*kind != config::Kind::kPod && *kind != config::Kind::kDeployment &&
       *kind != config::Kind::kReplicaSet)) {
    return config::ApiError::bad_request(
        "cannot get logs of \"" + target +
        "\": expected POD, pod/NAME, deployment/NAME (deploy/NAME) or replicaset/NAME (rs/NAME)");
  }
  if (*kind == config::Kind::kPod) return name;
  auto workload = client.get(config::collection_path(*kind, c.ns) + "/" + name);
  if (!workload) return workload.error();
  const json selector = workload->value("spec", json::object()).value("selector", json::object());
  const std::string labels = selector_text(selector);
  if (labels.empty()) {
    return config::ApiError::bad_request(target + " has no selector to find its pods by");
  }
  auto list = client.get(config::collection_path(config::Kind::kPod, c.ns) +
                         "?labelSelector=" + escape(labels));
  if (!list) return list.error();
  std::vector<json> pods;
  for (const auto& p : list->value("items", json::array())) {
    if (p.value("metadata", json::object()).contains("deletionTimestamp")) continue;
    pods.push_back(p);
  }
  if (pods.empty()) {
    return config::ApiError::not_found("no pods found for " + target);
  }
  std::sort(pods.begin(), pods.end(), by_logging);
  const std::string chosen = pods.front()["metadata"].value("name", "");
  if (pods.size() > 1) {
    std::cerr << "Found " << pods.size() << " pods, using pod/" << chosen << "\n";
  }
  return chosen;
}

}  // namespace

std::optional<int64_t> since_seconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos;
    while (end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
      ++end;
    }
    if (end == pos || end - pos > 12) return std::nullopt;
    const double value = std::stod(text.substr(pos, end - pos));
    size_t unit_end = end;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
      ++unit_end;
    }
    const std::string unit = text.substr(end, unit_end - end);
    if (unit == "h") {
      total += value * 3600;
    } else if (unit == "m") {
      total += value * 60;
    } else if (unit == "s") {
      total += value;
    } else if (unit == "ms") {
      total += value / 1000;
    } else {
      return std::nullopt;
    }
    pos = unit_end;
  }
  if (total <= 0 || total > 1e12) return std::nullopt;
  const auto whole = static_cast<int64_t>(total);
  return whole < total ? whole + 1 : whole;
}

int cmd_logs(const ClientOptions& c, const LogsOptions& o) {
  auto client = make_client(c);
  if (!o.since.empty() && !o.since_time.empty()) {
    std::cerr << "error: at most one of --since-time or --since may be specified\n";
    return 1;
  }
  std::optional<int64_t> since;
  if (!o.since.empty()) {
    since = since_seconds(o.since);
    if (!since) {
      std::cerr << "error: invalid argument \"" << o.since
                << "\" for \"--since\" flag: expected a duration such as 10s, 5m or 1h30m\n";
      return 1;
    }
  }
  auto pod = resolve_pod(client, c, o.target);
  if (!pod) return fail(pod.error());
  std::string path = config::collection_path(config::Kind::kPod, c.ns) + "/" + *pod + "/log";
  std::string query;
  auto add = [&](const std::string& key, const std::string& value) {
    query += (query.empty() ? "?" : "&") + key + "=" + escape(value);
  };
  if (!o.container.empty()) add("container", o.container);
  if (o.previous) add("previous", "true");
  if (o.follow) add("follow", "true");
  if (o.tail >= 0) add("tailLines", std::to_string(o.tail));
  if (since) add("sinceSeconds", std::to_string(*since));
  if (!o.since_time.empty()) add("sinceTime", o.since_time);
  if (o.timestamps) add("timestamps", "true");
  if (o.limit_bytes > 0) add("limitBytes", std::to_string(o.limit_bytes));
  // Written as it arrives; a follow ends when the container's run ends or on Ctrl-C (which
  // ends the process with everything received already written).
  auto streamed = client.stream_text(path + query, [](std::string_view data) {
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!streamed) return fail(streamed.error());
  return 0;
}

}  // namespace skiff::cli
