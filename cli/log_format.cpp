#include "cli/log_format.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <ctime>
#include <memory>

namespace skiff::cli {
namespace {

constexpr std::array<std::string_view, 5> kObjectKinds = {"pod", "service", "endpoints",
                                                          "replicaset", "deployment"};

bool is_kind(std::string_view word) {
  for (auto k : kObjectKinds) {
    if (word == k) return true;
  }
  return false;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// The length of a "namespace/name" token at the start of text (DNS-1123-ish parts), or 0.
size_t object_length(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && name_char(text[i])) ++i;
  if (i == 0 || i >= text.size() || text[i] != '/') return 0;
  const size_t slash = i++;
  while (i < text.size() && name_char(text[i])) ++i;
  if (i == slash + 1) return 0;
  return i;
}

// A component name: lower-case words ("kubelet", "process engine", "garbage collector"); no
// digits, so "signal 2: stopping" is not mistaken for one.
bool is_component(std::string_view text) {
  if (text.empty() || text.size() > 32 || text.front() < 'a' || text.front() > 'z') return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || c == ' ' || c == '-')) return false;
  }
  return text.back() != ' ';
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          // Bytes >= 0x80 pass through: messages are UTF-8 (names, paths); an invalid sequence
          // is the one thing a strict parser could reject, and logs must never throw.
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ',';
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string line = json_log_line(
        msg.time, level_name(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

LogFields log_fields(std::string_view message) {
  LogFields fields;
  const size_t colon = message.find(": ");
  if (colon == std::string_view::npos) return fields;
  std::string_view head = message.substr(0, colon);
  // "replicaset default/web": a kind word and the object it names.
  if (const size_t space = head.rfind(' '); space != std::string_view::npos) {
    const std::string_view word = head.substr(0, space);
    const std::string_view rest = head.substr(space + 1);
    if (is_kind(word) && object_length(rest) == rest.size()) {
      fields.component = word;
      fields.kind = word;
      fields.object = rest;
      return fields;
    }
  }
  if (!is_component(head)) return fields;
  fields.component = head;
  // "kubelet: pod default/web-1 ...", "... of pod default/web-1 ...": the first object named.
  std::string_view body = message.substr(colon + 2);
  for (size_t pos = 0; pos < body.size();) {
    const size_t space = body.find(' ', pos);
    const std::string_view word =
        body.substr(pos, space == std::string_view::npos ? std::string_view::npos : space - pos);
    if (space == std::string_view::npos) break;
    if (is_kind(word)) {
      const std::string_view after = body.substr(space + 1);
      const size_t n = object_length(after);
      if (n > 0 && (n == after.size() || after[n] == ' ' || after[n] == ':' || after[n] == ',')) {
        fields.kind = word;
        fields.object = after.substr(0, n);
        break;
      }
    }
    pos = space + 1;
  }
  return fields;
}

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message) {
  const auto since_epoch = time.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - secs).count();
  const std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[96];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis < 0 ? 0 : millis));

  std::string out;
  out.reserve(message.size() + 96);
  out += "{\"ts\":";
  append_json_string(out, stamp);
  append_field(out, "level", level);
  append_field(out, "msg", message);
  const LogFields fields = log_fields(message);
  if (!fields.component.empty()) append_field(out, "component", fields.component);
  if (!fields.kind.empty()) append_field(out, "kind", fields.kind);
  if (!fields.object.empty()) append_field(out, "object", fields.object);
  out += "}\n";
  return out;
}

void configure_logging(std::string_view level, LogFormat format) {
  if (format == LogFormat::kJson) {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<JsonFormatter>());
    auto logger = std::make_shared<spdlog::logger>("skiff", std::move(sink));
    spdlog::set_default_logger(std::move(logger));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace skiff::cli
