#include "proxy/round_robin.h"

namespace skiff::proxy {

std::optional<std::size_t> RoundRobin::pick(const PickContext& context) {
  if (context.endpoint_count == 0) return std::nullopt;
  // Relaxed is enough: only the uniqueness of each ticket matters, not ordering with other data.
  const uint64_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<std::size_t>(ticket % context.endpoint_count);
}

}  // namespace skiff::proxy
