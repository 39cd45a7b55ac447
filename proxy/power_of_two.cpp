#include "proxy/power_of_two.h"

#include <vector>

namespace skiff::proxy {

uint64_t PowerOfTwoChoices::random() {
  uint64_t z =
      state_.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::optional<std::size_t> PowerOfTwoChoices::pick(const PickContext& context) {
  const std::size_t n = context.endpoints.size();
  if (n == 0) return std::nullopt;
  const bool panic = panic_mode(context);
  // Candidates are counted, then the k-th is found again by a scan: no allocation per pick.
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += candidate(context, i, panic) ? 1 : 0;
  if (count == 0) return std::nullopt;
  auto nth = [&](std::size_t k) {
    for (std::size_t i = 0; i < n; ++i) {
      if (candidate(context, i, panic) && k-- == 0) return i;
    }
    return n;  // unreachable: k < count
  };
  if (count == 1) return nth(0);
  const uint64_t r = random();
  const std::size_t first = static_cast<std::size_t>(r % count);
  // The second draw is over the other count - 1 candidates, so the two are always distinct.
  std::size_t second = static_cast<std::size_t>((r >> 32) % (count - 1));
  if (second >= first) ++second;
  const std::size_t a = nth(first);
  const std::size_t b = nth(second);
  const int64_t load_a = context.endpoints[a]->active.load(std::memory_order_relaxed);
  const int64_t load_b = context.endpoints[b]->active.load(std::memory_order_relaxed);
  return load_b < load_a ? b : a;
}

}  // namespace skiff::proxy
