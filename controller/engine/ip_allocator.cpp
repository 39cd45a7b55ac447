#include "controller/engine/ip_allocator.h"

#include <charconv>

namespace skiff::controller::engine {

std::optional<uint32_t> parse_ipv4(const std::string& text) {
  uint32_t addr = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || next == p || next - p > 3 || octet > 255) return std::nullopt;
    addr = (addr << 8) | octet;
    p = next;
  }
  if (p != end) return std::nullopt;
  return addr;
}

std::string format_ipv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 0xff) + "." +
         std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

config::Result<IpAllocator> IpAllocator::from_cidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) {
    return config::ApiError::bad_request("pod CIDR \"" + cidr + "\": expected a.b.c.d/len");
  }
  auto base = parse_ipv4(cidr.substr(0, slash));
  int len = 0;
  std::string len_text = cidr.substr(slash + 1);
  auto [p, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (!base || ec != std::errc() || p != len_text.data() + len_text.size() || len < 8 || len > 30) {
    return config::ApiError::bad_request("pod CIDR \"" + cidr +
                                         "\": expected a.b.c.d/len with len 8..30");
  }
  uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  uint32_t first = *base & mask;
  return IpAllocator(first, first | ~mask);
}

bool IpAllocator::usable(uint32_t addr) const {
  uint32_t last_octet = addr & 0xff;
  return addr > first_ + 1 && addr < last_ && last_octet != 0 && last_octet != 255;
}

std::optional<std::string> IpAllocator::allocate() {
  uint64_t size = uint64_t{last_} - first_ + 1;
  uint32_t addr = cursor_;
  for (uint64_t i = 0; i < size; ++i) {
    addr = addr >= last_ ? first_ : addr + 1;
    if (usable(addr) && !used_.contains(addr)) {
      used_.insert(addr);
      cursor_ = addr;
      return format_ipv4(addr);
    }
  }
  return std::nullopt;
}

bool IpAllocator::reserve(const std::string& ip) {
  auto addr = parse_ipv4(ip);
  if (!addr || !usable(*addr)) return false;
  return used_.insert(*addr).second;
}

void IpAllocator::release(const std::string& ip) {
  if (auto addr = parse_ipv4(ip)) used_.erase(*addr);
}

bool IpAllocator::in_use(const std::string& ip) const {
  auto addr = parse_ipv4(ip);
  return addr && used_.contains(*addr);
}

}  // namespace skiff::controller::engine
