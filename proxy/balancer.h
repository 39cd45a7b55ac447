// Balancer: the policy that chooses which ready endpoint a new connection (UDP flow) of one
// Service port goes to. One instance per Service port is shared by every worker thread, so
// pick() must be thread-safe; round-robin, least-connections and power-of-two-choices are
// lock-free, client-IP affinity uses striped locks (only Services asking for it pay).
//
// Every policy follows the same rules, so callers can rely on them:
//   - nothing is picked from an empty list;
//   - an index in `exclude` (endpoints this connection already failed on) is never picked;
//   - an ejected endpoint (recent connect failure) is picked only when every candidate is
//     ejected ("panic": better to try a suspect endpoint than to refuse for sure).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "proxy/endpoint_state.h"

namespace skiff::proxy {

// The client address as 16 bytes (IPv4 mapped into IPv6), the key of client-IP affinity.
using ClientKey = std::array<uint8_t, 16>;

struct PickContext {
  // The endpoints of the snapshot the listener holds; the index returned refers to this list.
  std::span<EndpointState* const> endpoints;
  std::span<const std::size_t> exclude;  // indices not to pick
  ClientKey client{};
  int64_t now = 0;  // now_ns()
};

class Balancer {
 public:
  virtual ~Balancer() = default;
  // Index into context.endpoints, or none when there is nothing to pick from.
  virtual std::optional<std::size_t> pick(const PickContext& context) = 0;
};

// Whether endpoint i may be picked: not excluded, and not ejected unless `panic`.
inline bool candidate(const PickContext& context, std::size_t i, bool panic) {
  for (std::size_t e : context.exclude) {
    if (e == i) return false;
  }
  return panic || !context.endpoints[i]->ejected(context.now);
}

// True when no endpoint is a healthy candidate, so policies fall back to ejected ones.
inline bool panic_mode(const PickContext& context) {
  for (std::size_t i = 0; i < context.endpoints.size(); ++i) {
    if (candidate(context, i, false)) return false;
  }
  return true;
}

}  // namespace skiff::proxy
