#include "dns/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace skiff::dns {

config::Result<CidrSet> CidrSet::parse(const std::vector<std::string>& cidrs) {
  CidrSet set;
  for (const std::string& text : cidrs) {
    const auto slash = text.find('/');
    const std::string addr = text.substr(0, slash);
    Range r;
    if (inet_pton(AF_INET, addr.c_str(), r.addr.data()) == 1) {
      r.len = 4;
    } else if (inet_pton(AF_INET6, addr.c_str(), r.addr.data()) == 1) {
      r.len = 16;
    } else {
      return config::ApiError::bad_request("allowed CIDR \"" + text + "\": not an IP address");
    }
    r.prefix = static_cast<int>(r.len * 8);
    if (slash != std::string::npos) {
      const char* first = text.data() + slash + 1;
      const char* last = text.data() + text.size();
      int prefix = -1;
      const auto [end, ec] = std::from_chars(first, last, prefix);
      if (ec != std::errc() || end != last || first == last || prefix < 0 || prefix > r.prefix) {
        return config::ApiError::bad_request("allowed CIDR \"" + text + "\": bad prefix length");
      }
      r.prefix = prefix;
    }
    set.ranges_.push_back(r);
  }
  return set;
}

bool CidrSet::contains(const uint8_t* addr, std::size_t len) const {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (len == 16 && std::equal(kMapped, kMapped + 12, addr)) {
    addr += 12;
    len = 4;
  }
  for (const Range& r : ranges_) {
    if (r.len != len) continue;
    const int full = r.prefix / 8;
    const int bits = r.prefix % 8;
    if (!std::equal(addr, addr + full, r.addr.data())) continue;
    if (bits != 0) {
      const auto mask = static_cast<uint8_t>(0xFF << (8 - bits));
      if ((addr[full] & mask) != (r.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

}  // namespace skiff::dns
