#include "proxy/round_robin.h"

namespace skiff::proxy {

std::optional<std::size_t> RoundRobin::pick(const PickContext& context) {
  const std::size_t n = context.endpoints.size();
  if (n == 0) return std::nullopt;
  // Relaxed is enough: only the uniqueness of each ticket matters, not ordering with other data.
  const uint64_t ticket = next_.fetch_add(1, std::memory_order_relaxed);
  for (bool panic : {false, true}) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = static_cast<std::size_t>((ticket + k) % n);
      if (candidate(context, i, panic)) return i;
    }
  }
  return std::nullopt;
}

}  // namespace skiff::proxy
