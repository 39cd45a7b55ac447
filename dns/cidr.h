// Client address filtering: the responder answers REFUSED to clients outside its allowed CIDRs,
// so an instance bound beyond loopback does not become an open resolver. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace skiff::dns {

class CidrSet {
 public:
  // Parses "a.b.c.d/n", "x::y/n" or a bare address (a /32 or /128). Fails with the offending text.
  static config::Result<CidrSet> parse(const std::vector<std::string>& cidrs);

  // `addr` is 4 (IPv4) or 16 (IPv6) octets in network order. IPv4-mapped IPv6 addresses
  // (::ffff:a.b.c.d) match IPv4 ranges, since a dual-stack socket reports IPv4 clients so.
  bool contains(const uint8_t* addr, std::size_t len) const;

 private:
  struct Range {
    std::array<uint8_t, 16> addr{};
    std::size_t len = 4;  // 4 or 16
    int prefix = 32;
  };
  std::vector<Range> ranges_;
};

}  // namespace skiff::dns
