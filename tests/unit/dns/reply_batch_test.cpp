// ReplyBatch promises: every reply added goes out exactly once, to its own address; replies to
// one peer with one size share a message carrying UDP_SEGMENT = that size, in the order they were
// added; nothing else is grouped.
#include "dns/reply_batch.h"

#include <arpa/inet.h>
#include <netinet/udp.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

using skiff::dns::ReplyBatch;
using skiff::dns::same_peer;

namespace {

sockaddr_storage v4(const char* ip, uint16_t port) {
  sockaddr_storage s;
  std::memset(&s, 0xAB, sizeof(s));  // garbage in the unused bytes must not matter
  auto& in = reinterpret_cast<sockaddr_in&>(s);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, ip, &in.sin_addr) == 1);
  return s;
}

sockaddr_storage v6(const char* ip, uint16_t port, uint32_t scope = 0) {
  sockaddr_storage s;
  std::memset(&s, 0xCD, sizeof(s));
  auto& in6 = reinterpret_cast<sockaddr_in6&>(s);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  in6.sin6_flowinfo = 0;
  in6.sin6_scope_id = scope;
  REQUIRE(inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1);
  return s;
}

std::vector<uint8_t> reply(std::size_t size, uint8_t tag) {
  return std::vector<uint8_t>(size, tag);
}

// The tags of the replies message `m` carries, in order.
std::string tags(ReplyBatch& b, std::size_t m) {
  std::string out;
  for (const iovec& v : b.segments(m))
    out += static_cast<char>(static_cast<uint8_t*>(v.iov_base)[0]);
  return out;
}

// The UDP_SEGMENT value in message `m`'s control data, or -1 when it has none.
int gso_size(ReplyBatch& b, std::size_t m) {
  msghdr& h = b.messages()[m].msg_hdr;
  if (h.msg_control == nullptr) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  REQUIRE(c != nullptr);
  REQUIRE(c->cmsg_level == SOL_UDP);
  REQUIRE(c->cmsg_type == UDP_SEGMENT);
  REQUIRE(c->cmsg_len == CMSG_LEN(sizeof(uint16_t)));
  uint16_t v = 0;
  std::memcpy(&v, CMSG_DATA(c), sizeof(v));
  REQUIRE(CMSG_NXTHDR(&h, c) == nullptr);
  return v;
}

const sockaddr_storage* to(ReplyBatch& b, std::size_t m) {
  return static_cast<const sockaddr_storage*>(b.messages()[m].msg_hdr.msg_name);
}

}  // namespace

TEST_CASE("same_peer compares family, address, port and scope, not padding", "[dns][reply_batch]") {
  CHECK(same_peer(v4("127.0.0.1", 53), v4("127.0.0.1", 53)));
  CHECK_FALSE(same_peer(v4("127.0.0.1", 53), v4("127.0.0.1", 54)));
  CHECK_FALSE(same_peer(v4("127.0.0.1", 53), v4("127.0.0.2", 53)));
  CHECK(same_peer(v6("fd00::5", 53), v6("fd00::5", 53)));
  CHECK_FALSE(same_peer(v6("fe80::1", 53, 1), v6("fe80::1", 53, 2)));
  CHECK_FALSE(same_peer(v6("::ffff:127.0.0.1", 53), v4("127.0.0.1", 53)));
  sockaddr_storage unix_like{};
  unix_like.ss_family = AF_UNIX;
  CHECK_FALSE(same_peer(unix_like, unix_like));
}

TEST_CASE("replies of one size to one peer go as one GSO message, in order", "[dns][reply_batch]") {
  ReplyBatch b;
  const auto a = v4("127.0.0.1", 40000);
  std::vector<std::vector<uint8_t>> data;
  for (int i = 0; i < 5; ++i) data.push_back(reply(61, static_cast<uint8_t>('a' + i)));
  for (auto& d : data) REQUIRE(b.add(&a, sizeof(sockaddr_in), d));
  b.build();
  REQUIRE(b.messages().size() == 1);
  CHECK(tags(b, 0) == "abcde");
  CHECK(gso_size(b, 0) == 61);
  CHECK(b.segment_size(0) == 61);
  CHECK(to(b, 0) == &a);
  CHECK(b.messages()[0].msg_hdr.msg_namelen == sizeof(sockaddr_in));
  CHECK(b.messages()[0].msg_hdr.msg_iovlen == 5);
}

TEST_CASE("interleaved peers get a message each, keeping each peer's order", "[dns][reply_batch]") {
  ReplyBatch b;
  const auto p = v4("127.0.0.1", 40000);
  const auto q = v4("127.0.0.1", 40001);
  const auto r = v6("::1", 40000);
  const auto d1 = reply(70, '1'), d2 = reply(70, '2'), d3 = reply(70, '3'), d4 = reply(70, '4'),
             d5 = reply(70, '5'), d6 = reply(70, '6');
  b.add(&p, sizeof(sockaddr_in), d1);
  b.add(&q, sizeof(sockaddr_in), d2);
  b.add(&p, sizeof(sockaddr_in), d3);
  b.add(&r, sizeof(sockaddr_in6), d4);
  b.add(&q, sizeof(sockaddr_in), d5);
  b.add(&p, sizeof(sockaddr_in), d6);
  b.build();
  REQUIRE(b.messages().size() == 3);
  CHECK(to(b, 0) == &p);
  CHECK(tags(b, 0) == "136");
  CHECK(gso_size(b, 0) == 70);
  CHECK(to(b, 1) == &q);
  CHECK(tags(b, 1) == "25");
  CHECK(gso_size(b, 1) == 70);
  CHECK(to(b, 2) == &r);
  CHECK(b.messages()[2].msg_hdr.msg_namelen == sizeof(sockaddr_in6));
  CHECK(tags(b, 2) == "4");
  CHECK(gso_size(b, 2) == -1);  // alone: a plain datagram
  CHECK(b.segment_size(2) == 0);
}

TEST_CASE("replies of different sizes to one peer are not grouped together", "[dns][reply_batch]") {
  ReplyBatch b;
  const auto p = v4("127.0.0.1", 40000);
  const auto small1 = reply(50, 's'), big = reply(90, 'B'), small2 = reply(50, 't');
  b.add(&p, sizeof(sockaddr_in), small1);
  b.add(&p, sizeof(sockaddr_in), big);
  b.add(&p, sizeof(sockaddr_in), small2);
  b.build();
  REQUIRE(b.messages().size() == 2);
  CHECK(tags(b, 0) == "st");
  CHECK(gso_size(b, 0) == 50);
  CHECK(tags(b, 1) == "B");
  CHECK(gso_size(b, 1) == -1);
}

TEST_CASE("replies over the segment limit always go alone", "[dns][reply_batch]") {
  ReplyBatch b;
  const auto p = v4("127.0.0.1", 40000);
  const auto big1 = reply(ReplyBatch::kMaxSegment + 1, 'x');
  const auto big2 = reply(ReplyBatch::kMaxSegment + 1, 'y');
  const auto edge1 = reply(ReplyBatch::kMaxSegment, 'e');
  const auto edge2 = reply(ReplyBatch::kMaxSegment, 'f');
  b.add(&p, sizeof(sockaddr_in), big1);
  b.add(&p, sizeof(sockaddr_in), big2);
  b.add(&p, sizeof(sockaddr_in), edge1);
  b.add(&p, sizeof(sockaddr_in), edge2);
  b.build();
  REQUIRE(b.messages().size() == 3);
  CHECK(tags(b, 0) == "x");
  CHECK(gso_size(b, 0) == -1);
  CHECK(tags(b, 1) == "y");
  CHECK(gso_size(b, 1) == -1);
  CHECK(tags(b, 2) == "ef");
  CHECK(gso_size(b, 2) == static_cast<int>(ReplyBatch::kMaxSegment));
}

TEST_CASE("with grouping off every reply is its own message", "[dns][reply_batch]") {
  ReplyBatch b;
  b.set_grouping(false);
  const auto p = v4("127.0.0.1", 40000);
  const auto d1 = reply(60, '1'), d2 = reply(60, '2'), d3 = reply(60, '3');
  b.add(&p, sizeof(sockaddr_in), d1);
  b.add(&p, sizeof(sockaddr_in), d2);
  b.add(&p, sizeof(sockaddr_in), d3);
  b.build();
  REQUIRE(b.messages().size() == 3);
  for (std::size_t m = 0; m < 3; ++m) {
    CHECK(tags(b, m) == std::string(1, static_cast<char>('1' + m)));
    CHECK(gso_size(b, m) == -1);
  }
}

TEST_CASE("a full batch of one peer is one message, the next reply is refused",
          "[dns][reply_batch]") {
  ReplyBatch b;
  const auto p = v4("127.0.0.1", 40000);
  std::vector<std::vector<uint8_t>> data(ReplyBatch::kMaxReplies + 1, reply(64, 'z'));
  for (std::size_t i = 0; i < ReplyBatch::kMaxReplies; ++i) {
    REQUIRE(b.add(&p, sizeof(sockaddr_in), data[i]));
  }
  CHECK_FALSE(b.add(&p, sizeof(sockaddr_in), data.back()));
  CHECK_FALSE(b.add(&p, sizeof(sockaddr_in), std::span<const uint8_t>()));
  b.build();
  REQUIRE(b.messages().size() == 1);
  CHECK(b.segments(0).size() == ReplyBatch::kMaxReplies);
  CHECK(gso_size(b, 0) == 64);
}

TEST_CASE("clear starts a new batch and every reply is sent exactly once", "[dns][reply_batch]") {
  ReplyBatch b;
  const auto p = v4("127.0.0.1", 40000);
  const auto q = v4("127.0.0.2", 40000);
  std::vector<std::vector<uint8_t>> data;
  for (int i = 0; i < 20; ++i) data.push_back(reply(40 + i % 3, static_cast<uint8_t>(i)));
  for (int round = 0; round < 2; ++round) {
    b.clear();
    CHECK(b.replies() == 0);
    for (int i = 0; i < 20; ++i) b.add(i % 2 ? &p : &q, sizeof(sockaddr_in), data[i]);
    b.build();
    std::vector<int> seen(20, 0);
    for (std::size_t m = 0; m < b.messages().size(); ++m) {
      for (const iovec& v : b.segments(m)) {
        const int tag = static_cast<uint8_t*>(v.iov_base)[0];
        ++seen[tag];
        CHECK(v.iov_len == data[tag].size());
        CHECK(to(b, m) == (tag % 2 ? &p : &q));  // each reply to its own peer
      }
    }
    for (int i = 0; i < 20; ++i) CHECK(seen[i] == 1);
    CHECK(b.messages().size() == 6);  // 2 peers x 3 sizes
  }
}
