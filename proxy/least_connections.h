// LeastConnections: the candidate with the fewest active sessions (counted over every worker).
// Ties rotate, so an idle Service still spreads its first connections round-robin. The count is
// kept on session open/close in EndpointState, never computed at pick time; a pick scans the
// endpoint list once (Services have few endpoints; HAProxy's tree pays off at thousands).
#pragma once

#include <atomic>
#include <cstdint>

#include "proxy/balancer.h"

namespace skiff::proxy {

class LeastConnections final : public Balancer {
 public:
  std::optional<std::size_t> pick(const PickContext& context) override;

 private:
  std::atomic<uint64_t> next_{0};  // where the scan starts, for fair tie-breaking
};

}  // namespace skiff::proxy
