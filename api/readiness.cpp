#include "api/readiness.h"

#include <exception>

namespace skiff::api {
namespace {

std::string run_check(const ReadinessCheck& check) {
  if (!check.check) return {};
  try {
    return check.check();
  } catch (const std::exception& e) {
    return std::string("check threw: ") + e.what();
  } catch (...) {
    return "check threw an unknown exception";
  }
}

}  // namespace

std::optional<HealthReport> health_report(const std::vector<ReadinessCheck>& checks,
                                          std::string_view endpoint, bool verbose,
                                          std::string_view only) {
  std::vector<std::pair<std::string, std::string>> results;  // name, reason ("" = ok)
  if (only.empty() || only == "ping") results.emplace_back("ping", "");
  for (const auto& check : checks) {
    if (!only.empty() && check.name != only) continue;
    results.emplace_back(check.name, run_check(check));
  }
  if (results.empty()) return std::nullopt;

  HealthReport report;
  std::string lines;
  for (const auto& [name, reason] : results) {
    if (reason.empty()) {
      lines += "[+]" + name + " ok\n";
    } else {
      report.ok = false;
      lines += "[-]" + name + " failed: " + reason + "\n";
    }
  }
  if (report.ok && !verbose) {
    report.body = "ok";
  } else {
    report.body = lines + std::string(endpoint) + (report.ok ? " check passed" : " check failed");
  }
  return report;
}

}  // namespace skiff::api
