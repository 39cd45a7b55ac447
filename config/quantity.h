// Kubernetes resource quantities ("100m", "0.5", "128Mi", "1G", "1e3"), as resource.Quantity
// parses them, turned into the integers skiff schedules and enforces with: milli-CPU and
// bytes. Pure: no I/O.
//
// Grammar (k8s.io/apimachinery/pkg/api/resource):
//   quantity  ::= sign? number suffix
//   number    ::= digits | digits "." digits? | "." digits
//   suffix    ::= binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (m "" k M G T P E)
//               | ("e" | "E") sign? digits
// Values that are not whole in the asked unit are rounded up (away from zero), as
// Quantity.Value() and MilliValue() do: "0.1m" of CPU is 1 milli-CPU, "1.5" bytes are 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/status.h"

namespace skiff::config {

// The quantity in thousandths of its unit (CPU: "250m" -> 250, "2" -> 2000). BadRequest with
// the reason for malformed input or a value beyond int64.
Result<int64_t> parse_quantity_milli(std::string_view text);
// The quantity in whole units (memory: "128Mi" -> 134217728, "1G" -> 1000000000).
Result<int64_t> parse_quantity_value(std::string_view text);

// As kubectl shows them: milli-CPU as "250m" or, when whole, "2"; bytes with the largest
// binary suffix that divides them exactly ("128Mi", "1Gi"), else plain ("1000000000").
std::string format_milli_cpu(int64_t milli);
std::string format_bytes(int64_t bytes);

// Resource names a container may request or limit: cpu, memory, ephemeral-storage,
// hugepages-<size>, and extended resources with a domain prefix ("example.com/gpu").
bool is_known_container_resource(std::string_view name);

// A resourceFieldRef divisor as resource.Quantity.String() shows it, when its value is exactly
// a power of ten or of 1024 ("1000m" -> "1", "1024Mi" -> "1Gi", "0" for zero); nullopt for any
// other value. Validation compares divisors in this form, as the API server does.
std::optional<std::string> canonical_divisor(std::string_view text);

}  // namespace skiff::config
