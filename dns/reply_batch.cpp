#include "dns/reply_batch.h"

#include <netinet/udp.h>

#include <cstring>

namespace skiff::dns {

bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;  // never grouped: each goes alone
}

ReplyBatch::ReplyBatch() { clear(); }

void ReplyBatch::clear() {
  replies_ = 0;
  groups_ = 0;
}

bool ReplyBatch::add(const sockaddr_storage* to, socklen_t to_len, std::span<const uint8_t> data) {
  if (replies_ == kMaxReplies || data.empty()) return false;
  // iovec wants a mutable pointer; sendmsg() only reads through it.
  pending_[replies_++] = {to, to_len, {const_cast<uint8_t*>(data.data()), data.size()}, 0};
  return true;
}

void ReplyBatch::build() {
  groups_ = 0;
  // Assign groups: a reply joins the group for its peer and its size, or starts one. At most
  // kMaxReplies of each, so the quadratic scan is a few hundred comparisons at worst.
  for (std::size_t i = 0; i < replies_; ++i) {
    Pending& p = pending_[i];
    const std::size_t size = p.data.iov_len;
    std::size_t g = groups_;
    if (grouping_ && size <= kMaxSegment) {
      for (std::size_t j = 0; j < groups_; ++j) {
        const Group& c = groups_info_[j];
        if (c.segment == size && same_peer(*c.to, *p.to)) {
          g = j;
          break;
        }
      }
    }
    if (g == groups_) {
      const uint16_t segment = size <= kMaxSegment ? static_cast<uint16_t>(size) : 0;
      groups_info_[groups_++] = {p.to, p.to_len, 0, 0, segment};
    }
    p.group = static_cast<uint32_t>(g);
    ++groups_info_[g].count;
  }
  // Lay each group's iovecs out contiguously, in order of addition.
  uint32_t next = 0;
  for (std::size_t g = 0; g < groups_; ++g) {
    groups_info_[g].first_iov = next;
    next += groups_info_[g].count;
    groups_info_[g].count = 0;  // refilled below as the fill position
  }
  for (std::size_t i = 0; i < replies_; ++i) {
    Group& c = groups_info_[pending_[i].group];
    iov_[c.first_iov + c.count++] = pending_[i].data;
  }
  for (std::size_t g = 0; g < groups_; ++g) {
    Group& c = groups_info_[g];
    if (c.count < 2) c.segment = 0;  // alone: a plain datagram
    msghdr& h = msgs_[g].msg_hdr;
    h = {};
    msgs_[g].msg_len = 0;
    h.msg_name = const_cast<sockaddr_storage*>(c.to);
    h.msg_namelen = c.to_len;
    h.msg_iov = &iov_[c.first_iov];
    h.msg_iovlen = c.count;
    if (c.segment == 0) continue;
    h.msg_control = control_[g].bytes;
    h.msg_controllen = sizeof(control_[g].bytes);
    cmsghdr* cm = CMSG_FIRSTHDR(&h);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    std::memcpy(CMSG_DATA(cm), &c.segment, sizeof(uint16_t));
  }
}

std::span<const iovec> ReplyBatch::segments(std::size_t m) const {
  const Group& c = groups_info_[m];
  return {iov_.data() + c.first_iov, c.count};
}

}  // namespace skiff::dns
