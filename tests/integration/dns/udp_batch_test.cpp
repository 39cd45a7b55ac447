// Batched UDP replies against real loopback sockets: whatever the responder coalesces into one
// UDP GSO send, a client still receives one datagram per query, with the right ID, at its own
// address.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dns/reply_batch.h"
#include "dns/responder.h"
#include "web_service.h"

using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::dns::ReplyBatch;
using skiff::dns::Responder;
using skiff::dns::ResponderOptions;

namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int fd;
};

// A UDP socket bound to an ephemeral port of 127.0.0.1, with a receive buffer big enough for the
// bursts below; its address in `at`.
std::unique_ptr<Fd> bound_socket(sockaddr_in& at) {
  auto s = std::make_unique<Fd>(::socket(AF_INET, SOCK_DGRAM, 0));
  REQUIRE(s->fd >= 0);
  const int buf = 1 << 20;
  ::setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  at = {};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s->fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  socklen_t len = sizeof at;
  REQUIRE(::getsockname(s->fd, reinterpret_cast<sockaddr*>(&at), &len) == 0);
  return s;
}

// The next datagram on `fd` within `deadline`, or nullopt.
std::optional<std::vector<uint8_t>> receive(int fd, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) != 1) continue;
    std::vector<uint8_t> buf(65536);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) continue;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
}

// A query for `name` (dotted, no trailing dot) type A with ID `id`, RD set.
std::vector<uint8_t> query(uint16_t id, const std::string& name) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<uint8_t>(dot - start));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  q.insert(q.end(), {0, 0, 1, 0, 1});
  return q;
}

uint16_t id_of(const std::vector<uint8_t>& m) { return static_cast<uint16_t>(m[0] << 8 | m[1]); }
int rcode_of(const std::vector<uint8_t>& m) { return m[3] & 0x0F; }
uint16_t count_at(const std::vector<uint8_t>& m, std::size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

}  // namespace

TEST_CASE("grouped replies sent with sendmmsg arrive as one datagram each, at their own socket") {
  sockaddr_in a_at{}, b_at{};
  auto a = bound_socket(a_at);
  auto b = bound_socket(b_at);
  Fd sender(::socket(AF_INET, SOCK_DGRAM, 0));
  REQUIRE(sender.fd >= 0);
  const int off = 0;
  const bool gso = ::setsockopt(sender.fd, SOL_UDP, UDP_SEGMENT, &off, sizeof off) == 0;

  sockaddr_storage a_to{}, b_to{};
  std::memcpy(&a_to, &a_at, sizeof a_at);
  std::memcpy(&b_to, &b_at, sizeof b_at);
  // To a: six replies of 60 octets and one of 100 between them; to b: two of 60.
  std::vector<std::vector<uint8_t>> data;
  for (int i = 0; i < 10; ++i) data.emplace_back(i == 3 ? 100 : 60, static_cast<uint8_t>(i));
  const int to_b[] = {2, 7};
  ReplyBatch batch;
  batch.set_grouping(gso);
  for (int i = 0; i < 10; ++i) {
    const bool b_reply = i == to_b[0] || i == to_b[1];
    REQUIRE(batch.add(b_reply ? &b_to : &a_to, sizeof(sockaddr_in), data[i]));
  }
  batch.build();
  const auto messages = batch.messages();
  if (gso) {
    REQUIRE(messages.size() == 3);  // a's 60s, b's 60s, a's 100
    CHECK(batch.segment_size(0) == 60);
    CHECK(batch.segment_size(1) == 60);
  }
  REQUIRE(::sendmmsg(sender.fd, messages.data(), static_cast<unsigned>(messages.size()), 0) ==
          static_cast<int>(messages.size()));

  const auto deadline = Clock::now() + std::chrono::seconds(3);
  std::vector<int> a_tags, b_tags;
  for (int i = 0; i < 8; ++i) {
    const auto m = receive(a->fd, deadline);
    REQUIRE(m);
    REQUIRE(!m->empty());
    const int tag = (*m)[0];
    CHECK(m->size() == data[tag].size());  // one reply, not a group glued together
    CHECK(*m == data[tag]);
    a_tags.push_back(tag);
  }
  for (int i = 0; i < 2; ++i) {
    const auto m = receive(b->fd, deadline);
    REQUIRE(m);
    CHECK(*m == data[(*m)[0]]);
    b_tags.push_back((*m)[0]);
  }
  // The 60-octet replies keep their order; the lone 100-octet one is its own send.
  std::vector<int> a_sixty;
  for (int t : a_tags) {
    if (t != 3) a_sixty.push_back(t);
  }
  CHECK(a_sixty == std::vector<int>{0, 1, 4, 5, 6, 8, 9});
  CHECK(std::count(a_tags.begin(), a_tags.end(), 3) == 1);
  CHECK(b_tags == std::vector<int>{2, 7});
  // Nothing more arrives.
  CHECK_FALSE(receive(a->fd, Clock::now() + std::chrono::milliseconds(100)));
  CHECK_FALSE(receive(b->fd, Clock::now() + std::chrono::milliseconds(100)));
}

TEST_CASE("bursts of queries from two clients get one correct reply per query each") {
  ServiceTableSource source;
  ResponderOptions o;
  o.port = 0;
  o.forward = false;
  o.workers = 1;  // one socket, so the bursts land in the same receive batches
  auto t = std::make_shared<ServiceTable>();
  t->version = 1;
  t->services = {skiff::test::web_service("127.96.0.10")};
  source.publish(t);
  Responder responder(source, o);
  const auto started = responder.start();
  REQUIRE(started);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(responder.udp_port());
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  sockaddr_in at[2];
  std::unique_ptr<Fd> clients[2] = {bound_socket(at[0]), bound_socket(at[1])};
  // Per client 256 queries in bursts of 32 (one sendmmsg each), the two clients interleaved.
  // Even IDs ask for the Service (NOERROR, one A record), odd IDs for a missing name (NXDOMAIN,
  // the SOA in authority): two reply sizes per client.
  constexpr int kPerClient = 256;
  constexpr int kBurst = 32;
  std::vector<std::vector<uint8_t>> queries[2];
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < kPerClient; ++i) {
      const auto id = static_cast<uint16_t>(c * 1000 + i);
      queries[c].push_back(
          query(id, i % 2 ? "nope.default.svc.cluster.local" : "web.default.svc.cluster.local"));
    }
  }
  std::map<uint16_t, int> seen[2];
  std::map<uint16_t, std::size_t> sizes[2];  // per parity
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (int burst = 0; burst < kPerClient / kBurst; ++burst) {
    for (int c = 0; c < 2; ++c) {
      std::vector<iovec> iov(kBurst);
      std::vector<mmsghdr> msgs(kBurst);
      for (int i = 0; i < kBurst; ++i) {
        auto& q = queries[c][static_cast<std::size_t>(burst * kBurst + i)];
        iov[i] = {q.data(), q.size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = &server;
        msgs[i].msg_hdr.msg_namelen = sizeof server;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      REQUIRE(::sendmmsg(clients[c]->fd, msgs.data(), kBurst, 0) == kBurst);
    }
    // Collect this round's replies before the next, so no socket buffer overflows.
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < kBurst; ++i) {
        const auto m = receive(clients[c]->fd, deadline);
        REQUIRE(m);
        REQUIRE(m->size() >= 12);
        const uint16_t id = id_of(*m);
        INFO("client " << c << " id " << id);
        REQUIRE(id / 1000 == c);  // never another client's reply
        ++seen[c][id];
        CHECK(count_at(*m, 4) == 1);  // one question
        if (id % 2 == 0) {
          CHECK(rcode_of(*m) == 0);
          CHECK(count_at(*m, 6) == 1);  // one answer: the ClusterIP, the last 4 octets
          CHECK(std::vector<uint8_t>(m->end() - 4, m->end()) ==
                std::vector<uint8_t>{127, 96, 0, 10});
        } else {
          CHECK(rcode_of(*m) == 3);
          CHECK(count_at(*m, 8) == 1);  // the SOA
        }
        const auto kind = sizes[c].emplace(id % 2, m->size()).first;
        CHECK(kind->second == m->size());  // every reply of a kind the same size: none glued
      }
    }
  }
  for (int c = 0; c < 2; ++c) {
    CHECK(seen[c].size() == static_cast<std::size_t>(kPerClient));
    for (const auto& [id, n] : seen[c]) CHECK(n == 1);
    CHECK_FALSE(receive(clients[c]->fd, Clock::now() + std::chrono::milliseconds(100)));
  }
  responder.stop();
}
