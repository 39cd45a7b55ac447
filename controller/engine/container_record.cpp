#include "controller/engine/container_record.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace skiff::controller::engine {

using nlohmann::json;

std::string record_to_json(const ContainerRecord& r) {
  json env = json::array();
  for (const auto& [k, v] : r.env) env.push_back(json::array({k, v}));
  json j = {{"containerID", r.container_id},
            {"pid", r.pid},
            {"startTime", r.start_time},
            {"podUID", r.pod_uid},
            {"podName", r.pod_name},
            {"podNamespace", r.pod_namespace},
            {"containerName", r.container_name},
            {"sandboxID", r.sandbox_id},
            {"podIP", r.pod_ip},
            {"restartCount", r.restart_count},
            {"startedAt", r.started_at},
            {"logPath", r.log_path},
            {"podDir", r.pod_dir},
            {"env", std::move(env)},
            {"workingDir", r.working_dir}};
  return j.dump();
}

std::optional<ContainerRecord> record_from_json(std::string_view text, std::string* error) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) {
    *error = "not a JSON object";
    return std::nullopt;
  }
  try {
    ContainerRecord r;
    r.container_id = j.at("containerID").get<std::string>();
    r.pid = j.at("pid").get<pid_t>();
    r.start_time = j.at("startTime").get<uint64_t>();
    r.pod_uid = j.at("podUID").get<std::string>();
    r.pod_name = j.at("podName").get<std::string>();
    r.pod_namespace = j.at("podNamespace").get<std::string>();
    r.container_name = j.at("containerName").get<std::string>();
    r.sandbox_id = j.at("sandboxID").get<std::string>();
    r.pod_ip = j.at("podIP").get<std::string>();
    r.restart_count = j.at("restartCount").get<int>();
    r.started_at = j.at("startedAt").get<std::string>();
    r.log_path = j.at("logPath").get<std::string>();
    r.pod_dir = j.at("podDir").get<std::string>();
    for (const auto& kv : j.at("env")) {
      r.env.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    }
    r.working_dir = j.at("workingDir").get<std::string>();
    if (r.pid <= 1 || r.container_id.empty() || r.pod_uid.empty()) {
      *error = "no pid, container id or pod uid";
      return std::nullopt;
    }
    return r;
  } catch (const json::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  // "1234 (my (odd) cmd) S 1 1234 1234 0 -1 ..." — fields 3.. follow the last ')'.
  const size_t open = line.find(" (");
  const size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::nullopt;
  }
  ProcStat st;
  auto [pp, pec] = std::from_chars(line.data(), line.data() + open, st.pid);
  if (pec != std::errc() || pp != line.data() + open) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  size_t i = 0;
  while (i < rest.size() && fields.size() < 20) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t j = i;
    while (j < rest.size() && rest[j] != ' ' && rest[j] != '\n') ++j;
    if (j > i) fields.push_back(rest.substr(i, j - i));
    if (j < rest.size() && rest[j] == '\n') break;
    i = j;
  }
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  auto number = [](std::string_view f, auto& out) {
    auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), out);
    return ec == std::errc() && p == f.data() + f.size();
  };
  st.state = fields[0][0];
  // Field n is fields[n - 3]: pgrp 5, session 6, starttime 22.
  if (!number(fields[2], st.pgrp) || !number(fields[3], st.session) ||
      !number(fields[19], st.start_time)) {
    return std::nullopt;
  }
  return st;
}

std::optional<std::string> identity_mismatch(const ContainerRecord& record, const ProcStat& now) {
  if (now.pid != record.pid) {
    return fmt::format("/proc reports pid {}, the record {}", now.pid, record.pid);
  }
  if (now.start_time != record.start_time) {
    return fmt::format(
        "pid {} is another process now (it started at tick {}, the container at tick {})",
        record.pid, now.start_time, record.start_time);
  }
  if (now.pgrp != record.pid || now.session != record.pid) {
    return fmt::format("pid {} no longer leads its own session and process group", record.pid);
  }
  if (now.state == 'Z' || now.state == 'X') {
    return fmt::format("pid {} has exited", record.pid);
  }
  return std::nullopt;
}

}  // namespace skiff::controller::engine
