#include "proxy/annotations.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace skiff::proxy {

namespace {

constexpr double kMaxDurationMs = 100.0 * 365 * 24 * 3600 * 1000;
constexpr int kMaxAffinitySeconds = 86400;  // what the Kubernetes API allows

std::optional<double> unit_ms(std::string_view unit) {
  if (unit == "ns") return 1e-6;
  if (unit == "us" || unit == "µs") return 1e-3;
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1000.0;
  if (unit == "m") return 60'000.0;
  if (unit == "h") return 3'600'000.0;
  return std::nullopt;
}

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '.'; }

}  // namespace

std::string_view policy_name(BalancePolicy policy) {
  switch (policy) {
    case BalancePolicy::kRoundRobin:
      return "round-robin";
    case BalancePolicy::kLeastConnections:
      return "least-connections";
    case BalancePolicy::kPowerOfTwoChoices:
      return "power-of-two-choices";
  }
  return "round-robin";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  bool bare = true;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && is_number_char(text[i])) ++i;
    if (i == start) return std::nullopt;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data() + start, text.data() + i, value);
    if (ec != std::errc() || end != text.data() + i || !std::isfinite(value)) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && !is_number_char(text[i])) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // A bare number means seconds, but only alone: "1h30" is a mistake, not 1h + 30 s.
      if (!bare || i != text.size() || start != 0) return std::nullopt;
      total = value * 1000.0;
      break;
    }
    bare = false;
    auto ms = unit_ms(unit);
    if (!ms) return std::nullopt;
    total += value * *ms;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  if (total > kMaxDurationMs) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(total)));
}

ServiceSettings parse_service_settings(const controller::ServiceView& service,
                                       const ServiceSettings& defaults,
                                       std::vector<std::string>& warnings) {
  ServiceSettings s = defaults;
  auto warn = [&](std::string_view key, std::string_view value, std::string_view why) {
    warnings.push_back(fmt::format("{}/{}: annotation {}=\"{}\" {}; using the default", service.ns,
                                   service.name, key, value, why));
  };
  auto duration = [&](std::string_view key, std::string_view value,
                      std::chrono::milliseconds& field, bool zero_ok) {
    auto parsed = parse_duration(value);
    if (!parsed) return warn(key, value, "is not a duration (e.g. 30s, 1h, 500ms)");
    if (!zero_ok && parsed->count() == 0) return warn(key, value, "must be more than 0");
    field = *parsed;
  };

  for (const auto& [key, value] : service.annotations) {
    if (!key.starts_with(kAnnotationPrefix)) continue;
    const std::string_view name = std::string_view(key).substr(kAnnotationPrefix.size());
    if (name == "balance") {
      if (value == "round-robin") {
        s.policy = BalancePolicy::kRoundRobin;
      } else if (value == "least-connections") {
        s.policy = BalancePolicy::kLeastConnections;
      } else if (value == "power-of-two-choices") {
        s.policy = BalancePolicy::kPowerOfTwoChoices;
      } else {
        warn(key, value, "is not one of round-robin, least-connections, power-of-two-choices");
      }
    } else if (name == "connect-timeout") {
      duration(key, value, s.connect_timeout, false);
    } else if (name == "idle-timeout") {
      duration(key, value, s.idle_timeout, false);
    } else if (name == "max-connection-age") {
      duration(key, value, s.max_connection_age, true);
    } else if (name == "drain-timeout") {
      duration(key, value, s.drain_timeout, true);
    } else if (name == "udp-idle-timeout") {
      duration(key, value, s.udp_idle_timeout, false);
    } else if (name == "max-connections") {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 1) {
        warn(key, value, "is not a whole number of at least 1");
      } else {
        s.max_connections = n;
      }
    } else {
      warn(key, value, "is not a known proxy annotation");
    }
  }

  if (service.session_affinity == "ClientIP") {
    s.client_ip_affinity = true;
    int seconds = service.session_affinity_timeout_seconds;
    if (seconds < 1 || seconds > kMaxAffinitySeconds) {
      warnings.push_back(fmt::format(
          "{}/{}: sessionAffinityConfig.clientIP.timeoutSeconds {} is outside 1..{}; using 10800",
          service.ns, service.name, seconds, kMaxAffinitySeconds));
      seconds = 10800;
    }
    s.affinity_timeout = std::chrono::seconds(seconds);
  }
  return s;
}

}  // namespace skiff::proxy
