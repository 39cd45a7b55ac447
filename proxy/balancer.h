// Balancer: the policy that chooses which ready endpoint a new connection of one Service port
// goes to. One instance per (service, port) is shared by every worker thread, so pick() must be
// thread-safe and lock-free on the connection path.
#pragma once

#include <cstddef>
#include <optional>

namespace skiff::proxy {

// What a policy may look at when choosing. Endpoints are those of the snapshot the listener
// holds; the index returned refers to that list.
struct PickContext {
  std::size_t endpoint_count = 0;
};

class Balancer {
 public:
  virtual ~Balancer() = default;
  // Index into the endpoint list, or none when there is nothing to pick from.
  virtual std::optional<std::size_t> pick(const PickContext& context) = 0;
};

}  // namespace skiff::proxy
