#include "controller/service_allocation.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace skiff::controller {
namespace {

std::optional<uint32_t> parse_ipv4(std::string_view s) {
  uint32_t out = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || next == p || octet > 255 || next - p > 3) return std::nullopt;
    out = (out << 8) | octet;
    p = next;
    if (i < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return out;
}

std::string format_ipv4(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

bool has_node_ports(const config::ServiceSpec& spec) {
  return spec.type == "NodePort" || spec.type == "LoadBalancer";
}

}  // namespace

std::optional<Ipv4RangeAllocator> Ipv4RangeAllocator::from_cidr(std::string_view cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto base = parse_ipv4(cidr.substr(0, slash));
  int len = 0;
  auto bits = cidr.substr(slash + 1);
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), len);
  if (!base || ec != std::errc() || p != bits.data() + bits.size() || len < 1 || len > 30) {
    return std::nullopt;
  }
  uint32_t mask = len == 32 ? ~0U : ~((1U << (32 - len)) - 1);
  uint32_t network = *base & mask;
  uint32_t broadcast = network | ~mask;
  return Ipv4RangeAllocator(network + 1, broadcast - 1);
}

bool Ipv4RangeAllocator::contains(std::string_view ip) const {
  auto a = parse_ipv4(ip);
  return a && *a >= first_ && *a <= last_;
}

bool Ipv4RangeAllocator::in_use(std::string_view ip) const {
  auto a = parse_ipv4(ip);
  return a && used_.count(*a) != 0;
}

std::optional<std::string> Ipv4RangeAllocator::allocate() {
  uint64_t size = uint64_t{last_} - first_ + 1;
  if (used_.size() >= size) return std::nullopt;
  // Bounded by the range size; with few Services the first probe is free.
  for (uint64_t i = 0; i < size; ++i) {
    uint32_t candidate = next_;
    next_ = next_ == last_ ? first_ : next_ + 1;
    if (used_.insert(candidate).second) return format_ipv4(candidate);
  }
  return std::nullopt;
}

bool Ipv4RangeAllocator::claim(std::string_view ip) {
  auto a = parse_ipv4(ip);
  if (!a || *a < first_ || *a > last_) return false;
  return used_.insert(*a).second;
}

void Ipv4RangeAllocator::release(std::string_view ip) {
  if (auto a = parse_ipv4(ip)) used_.erase(*a);
}

std::optional<int> PortRangeAllocator::allocate() {
  int size = max_ - min_ + 1;
  if (size <= 0 || static_cast<int>(used_.size()) >= size) return std::nullopt;
  for (int i = 0; i < size; ++i) {
    int candidate = next_;
    next_ = next_ == max_ ? min_ : next_ + 1;
    if (used_.insert(candidate).second) return candidate;
  }
  return std::nullopt;
}

bool PortRangeAllocator::claim(int port) {
  if (!contains(port)) return false;
  return used_.insert(port).second;
}

void PortRangeAllocator::release(int port) { used_.erase(port); }

ServiceAssignment assign_service_addresses(const config::ServiceSpec& spec,
                                           const ServiceAllocation& held,
                                           ServiceAllocators& allocators) {
  ServiceAssignment out{spec, {}, {}};
  auto& s = out.spec;

  // Cluster IP.
  if (s.type == "ExternalName") {
    s.cluster_ip.clear();
    s.cluster_ips.clear();
  } else if (s.cluster_ip == "None") {
    s.cluster_ips = {"None"};
  } else {
    if (!s.cluster_ip.empty() && s.cluster_ip != held.cluster_ip) {
      if (!allocators.cluster_ips.contains(s.cluster_ip)) {
        out.warnings.push_back(fmt::format(
            "clusterIP {} is outside the service range; allocating another", s.cluster_ip));
        s.cluster_ip.clear();
      } else if (!allocators.cluster_ips.claim(s.cluster_ip)) {
        out.warnings.push_back(
            fmt::format("clusterIP {} is already allocated to another Service; allocating another",
                        s.cluster_ip));
        s.cluster_ip.clear();
      }
    }
    if (s.cluster_ip.empty()) s.cluster_ip = held.cluster_ip;
    if (s.cluster_ip.empty()) {
      if (auto ip = allocators.cluster_ips.allocate()) {
        s.cluster_ip = *ip;
      } else {
        out.warnings.push_back("the service IP range is exhausted; clusterIP left empty");
      }
    }
    out.held.cluster_ip = s.cluster_ip;
    s.cluster_ips =
        s.cluster_ip.empty() ? std::vector<std::string>{} : std::vector<std::string>{s.cluster_ip};
  }
  if (!held.cluster_ip.empty() && held.cluster_ip != out.held.cluster_ip) {
    allocators.cluster_ips.release(held.cluster_ip);
  }

  // Node ports.
  std::set<int> taken;  // within this Service: two ports never share a nodePort
  for (auto& p : s.ports) {
    if (!has_node_ports(s)) {
      p.node_port = 0;
      continue;
    }
    if (p.node_port != 0) {
      bool held_before = std::count(held.node_ports.begin(), held.node_ports.end(), p.node_port);
      if (taken.count(p.node_port) != 0) {
        out.warnings.push_back(
            fmt::format("nodePort {} is requested twice; allocating another", p.node_port));
        p.node_port = 0;
      } else if (!held_before && !allocators.node_ports.contains(p.node_port)) {
        out.warnings.push_back(fmt::format(
            "nodePort {} is outside the node port range; allocating another", p.node_port));
        p.node_port = 0;
      } else if (!held_before && !allocators.node_ports.claim(p.node_port)) {
        out.warnings.push_back(
            fmt::format("nodePort {} is already allocated to another Service; allocating another",
                        p.node_port));
        p.node_port = 0;
      }
    }
    if (p.node_port == 0) {
      if (auto port = allocators.node_ports.allocate()) {
        p.node_port = *port;
      } else {
        out.warnings.push_back("the node port range is exhausted; nodePort left unset");
        continue;
      }
    }
    taken.insert(p.node_port);
    out.held.node_ports.push_back(p.node_port);
  }
  for (int port : held.node_ports) {
    if (taken.count(port) == 0) allocators.node_ports.release(port);
  }
  return out;
}

ServiceAllocation claim_service_addresses(const config::ServiceSpec& spec,
                                          ServiceAllocators& allocators) {
  ServiceAllocation held;
  if (spec.type != "ExternalName" && !spec.cluster_ip.empty() && spec.cluster_ip != "None" &&
      allocators.cluster_ips.claim(spec.cluster_ip)) {
    held.cluster_ip = spec.cluster_ip;
  }
  if (has_node_ports(spec)) {
    for (const auto& p : spec.ports) {
      if (p.node_port != 0 && allocators.node_ports.claim(p.node_port)) {
        held.node_ports.push_back(p.node_port);
      }
    }
  }
  return held;
}

void release_service_addresses(const ServiceAllocation& held, ServiceAllocators& allocators) {
  if (!held.cluster_ip.empty()) allocators.cluster_ips.release(held.cluster_ip);
  for (int port : held.node_ports) allocators.node_ports.release(port);
}

void preserve_service_allocations(const config::ServiceSpec& stored, config::ServiceSpec& next) {
  if (next.type != "ExternalName" && next.cluster_ip.empty() && !stored.cluster_ip.empty()) {
    next.cluster_ip = stored.cluster_ip;
    if (next.cluster_ips.empty()) next.cluster_ips = stored.cluster_ips;
  }
  if (!has_node_ports(next)) return;
  for (auto& p : next.ports) {
    if (p.node_port != 0) continue;
    for (const auto& old : stored.ports) {
      if (old.port == p.port && old.protocol == p.protocol && old.node_port != 0) {
        p.node_port = old.node_port;
        break;
      }
    }
  }
}

}  // namespace skiff::controller
