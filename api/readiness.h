// /healthz and /readyz bodies, worded as the Kubernetes API server words them. Pure apart from
// running the checks it is given.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skiff::api {

// check() returns "" when ready, else the reason. It runs on the controller loop, must be
// quick, and must not block; a check that throws counts as failed with the exception's text.
struct ReadinessCheck {
  std::string name;
  std::function<std::string()> check;
};

struct HealthReport {
  bool ok = true;
  std::string body;  // text/plain
};

// `endpoint` is "readyz", "healthz" or "livez" (used in the "readyz check failed" line). A
// built-in "ping" check always passes and comes first. Success without verbose is "ok";
// verbose, and every failure, list each check as "[+]name ok" / "[-]name failed: reason".
// only: one check by name; nullopt when no check has that name.
std::optional<HealthReport> health_report(const std::vector<ReadinessCheck>& checks,
                                          std::string_view endpoint, bool verbose,
                                          std::string_view only = {});

}  // namespace skiff::api
