// Per-Service proxy settings read from `proxy.skiff.io/*` annotations and the Service's
// sessionAffinity. Pure: no sockets, unit-tested directly. A bad value never fails a Service:
// it yields a warning (the caller logs it once per snapshot) and the default.
//
//   proxy.skiff.io/balance             round-robin | least-connections | power-of-two-choices
//   proxy.skiff.io/connect-timeout     duration, per endpoint try          (default 5s)
//   proxy.skiff.io/idle-timeout        duration without bytes either way   (default 1h)
//   proxy.skiff.io/max-connection-age  duration, 0 = unlimited             (default 0)
//   proxy.skiff.io/drain-timeout       duration an endpoint's connections outlive its
//                                      removal, 0 = closed at once         (default 5m)
//   proxy.skiff.io/max-connections     concurrent TCP connections of the Service (default 100000)
//   proxy.skiff.io/udp-idle-timeout    duration a UDP flow outlives silence (default 30s)
//
// Durations are Go-style ("1h30m", "500ms", "2.5s") or a bare number of seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/service_table.h"

namespace skiff::proxy {

inline constexpr std::string_view kAnnotationPrefix = "proxy.skiff.io/";

enum class BalancePolicy { kRoundRobin, kLeastConnections, kPowerOfTwoChoices };

std::string_view policy_name(BalancePolicy policy);

struct ServiceSettings {
  BalancePolicy policy = BalancePolicy::kRoundRobin;
  bool client_ip_affinity = false;
  std::chrono::seconds affinity_timeout{10800};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{std::chrono::hours(1)};
  std::chrono::milliseconds max_connection_age{0};  // 0: unlimited
  std::chrono::milliseconds drain_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds udp_idle_timeout{30000};
  int64_t max_connections = 100000;

  bool operator==(const ServiceSettings&) const = default;
};

// A duration as above; none if it is not one, or negative, or longer than ~100 years.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// `defaults` carries the daemon-wide values (ProxyOptions); the Service's annotations and
// sessionAffinity override them. Each rejected value appends one warning naming the Service,
// the annotation, the value and why. Unknown proxy.skiff.io/ keys warn too (likely typos).
ServiceSettings parse_service_settings(const controller::ServiceView& service,
                                       const ServiceSettings& defaults,
                                       std::vector<std::string>& warnings);

}  // namespace skiff::proxy
