// The daemon's log output: spdlog with levels, as human-readable text (the default) or as one
// JSON object per line for log collectors (`--log-format json`).
//
// skiff's messages follow one convention, "component: subject: detail" ("kubelet: pod
// default/web-1 container web started", "replicaset default/web: creating a pod failed: ..."),
// so the JSON form lifts the component and the object it names into fields of their own:
//
//   {"ts":"2026-11-26T00:30:00.123Z","level":"info","msg":"kubelet: pod default/web-1 ...",
//    "component":"kubelet","kind":"pod","object":"default/web-1"}
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::cli {

enum class LogFormat { kText, kJson };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Sets the default logger's level and format. level is a name spdlog knows ("trace", "debug",
// "info", "warn", "error", "critical", "off"). JSON logs go to stderr, so stdout keeps only
// what skiff prints for people ("service/web is ready at ...") and stderr stays pure JSON.
void configure_logging(std::string_view level, LogFormat format);

// The structured fields of a message under the convention above; empty views where the
// message does not follow it. Pure.
struct LogFields {
  std::string_view component;  // "kubelet", "proxy", "process engine", "replicaset"
  std::string_view kind;       // "pod", "replicaset", "service", ... when an object is named
  std::string_view object;     // "default/web-1"
};
LogFields log_fields(std::string_view message);

// One JSON log line (with the trailing newline). level: "info", "warn", ... Pure.
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message);

}  // namespace skiff::cli
