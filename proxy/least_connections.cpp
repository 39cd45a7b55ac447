#include "proxy/least_connections.h"

namespace skiff::proxy {

std::optional<std::size_t> LeastConnections::pick(const PickContext& context) {
  const std::size_t n = context.endpoints.size();
  if (n == 0) return std::nullopt;
  const uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  const bool panic = panic_mode(context);
  std::optional<std::size_t> best;
  int64_t best_active = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = static_cast<std::size_t>((start + k) % n);
    if (!candidate(context, i, panic)) continue;
    const int64_t active = context.endpoints[i]->active.load(std::memory_order_relaxed);
    if (!best || active < best_active) {
      best = i;
      best_active = active;
    }
  }
  return best;
}

}  // namespace skiff::proxy
