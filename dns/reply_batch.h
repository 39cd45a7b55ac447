// ReplyBatch: the UDP replies of one receive batch, laid out for one sendmmsg(). Replies to the
// same client address that have the same size travel as one UDP GSO message (UDP_SEGMENT, Linux
// 4.18+): the kernel routes, filters (conntrack), checksums and loops back the group once and
// cuts it into the original datagrams at the last moment, so the client still receives one
// datagram per reply. That trip through the stack is most of the cost of answering (on loopback
// perf puts ~90 % of the responder's time in the kernel), and a client whose replies arrive
// together is woken once for them rather than once each. Grouping pays off for clients that ask
// many questions from one source port (a node-local cache or resolver forwarding its clients'
// misses, a load generator); for others a batch goes out as before, one datagram a reply.
//
// Pure bookkeeping, no I/O: add() records where each reply goes and build() lays the groups out;
// the caller sends messages() and, when one fails (a route whose device lacks checksum offload
// refuses GSO with EIO), sends that message's segments() one by one.
//
// Neither the replies' bytes nor the addresses are copied: they must stay put until sent.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skiff::dns {

class ReplyBatch {
 public:
  static constexpr std::size_t kMaxReplies = 32;
  // Only replies up to this size are grouped: it fits the path MTU of any network a client can be
  // on (1232 is the DNS flag day's safe EDNS size for IPv4 and IPv6), since the kernel refuses a
  // segment larger than the route's MTU. Larger replies go alone, as before.
  static constexpr std::size_t kMaxSegment = 1232;
  // The kernel takes at most 64 segments (UDP_MAX_SEGMENTS) and 64 KiB in one GSO message; a
  // batch never comes near either.
  static_assert(kMaxReplies <= 64 && kMaxReplies * kMaxSegment <= 60000);

  ReplyBatch();
  ReplyBatch(const ReplyBatch&) = delete;
  ReplyBatch& operator=(const ReplyBatch&) = delete;

  // Off: every reply is a message of its own (a kernel without UDP_SEGMENT, which older kernels
  // would not refuse but ignore, sending the group as one datagram).
  void set_grouping(bool on) { grouping_ = on; }
  bool grouping() const { return grouping_; }

  void clear();
  // Records a reply of `data` for `to`. Returns false, recording nothing, when the batch is full
  // or the reply is empty.
  bool add(const sockaddr_storage* to, socklen_t to_len, std::span<const uint8_t> data);
  std::size_t replies() const { return replies_; }

  // Groups the replies added since clear() into messages, in the order of each group's first
  // reply, the replies of a group in the order they were added. Call once, after the last add().
  void build();
  std::span<mmsghdr> messages() { return {msgs_.data(), groups_}; }
  // The replies of message `m` (one iovec each) and the segment size it was sent with (0: one
  // reply, no UDP_SEGMENT control message).
  std::span<const iovec> segments(std::size_t m) const;
  uint16_t segment_size(std::size_t m) const { return groups_info_[m].segment; }

 private:
  struct Pending {
    const sockaddr_storage* to;
    socklen_t to_len;
    iovec data;
    uint32_t group;
  };
  struct Group {
    const sockaddr_storage* to;
    socklen_t to_len;
    uint32_t count = 0;
    uint32_t first_iov = 0;
    uint16_t segment = 0;  // the size of every reply in the group; 0: never grouped
  };
  // Room for one UDP_SEGMENT control message (a uint16_t), aligned for cmsghdr.
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
  };

  bool grouping_ = true;
  std::size_t replies_ = 0;
  std::size_t groups_ = 0;
  std::array<Pending, kMaxReplies> pending_{};
  std::array<Group, kMaxReplies> groups_info_{};
  std::array<iovec, kMaxReplies> iov_{};
  std::array<Control, kMaxReplies> control_{};
  std::array<mmsghdr, kMaxReplies> msgs_{};
};

// Whether two socket addresses name the same UDP peer (family, address, port, IPv6 scope); the
// bytes sockaddr_storage leaves unused do not count.
bool same_peer(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace skiff::dns
