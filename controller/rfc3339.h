// Timestamps as Kubernetes writes them: RFC 3339, UTC, whole seconds ("2026-11-25T21:00:00Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::controller {

std::string to_rfc3339(std::chrono::system_clock::time_point t);
std::string rfc3339_now();
// Accepts "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds ignored); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

}  // namespace skiff::controller
