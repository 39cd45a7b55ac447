// Pod addresses for the process engine: a pool over an IPv4 CIDR (127.244.0.0/16 by default).
// Pure: no I/O, so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "config/status.h"

namespace skiff::controller::engine {

class IpAllocator {
 public:
  // BadRequest when cidr is not "a.b.c.d/len" with 8 <= len <= 30.
  static config::Result<IpAllocator> from_cidr(const std::string& cidr);

  // The next free address after the last one handed out (wrapping), so a freed address is not
  // reused at once and a stale connection to it cannot reach a new pod. Skips addresses whose
  // last octet is 0 or 255 (they look like network/broadcast addresses to tools) and the
  // network's first host (gateway-like, 127.244.0.1). nullopt when the pool is exhausted.
  std::optional<std::string> allocate();
  // Marks an address as in use (e.g. adopted at startup); false if outside the pool or taken.
  bool reserve(const std::string& ip);
  void release(const std::string& ip);
  bool in_use(const std::string& ip) const;
  size_t used() const { return used_.size(); }

 private:
  IpAllocator(uint32_t first, uint32_t last) : first_(first), last_(last), cursor_(first) {}
  bool usable(uint32_t addr) const;

  uint32_t first_;   // network address
  uint32_t last_;    // broadcast address
  uint32_t cursor_;  // the last address handed out
  std::set<uint32_t> used_;
};

// "127.244.0.2" <-> host-order integer; nullopt when not a dotted quad.
std::optional<uint32_t> parse_ipv4(const std::string& text);
std::string format_ipv4(uint32_t addr);

}  // namespace skiff::controller::engine
