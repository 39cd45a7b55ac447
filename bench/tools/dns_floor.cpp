// dns_floor: the least a DNS server can do per query, as a reference for the DNS benchmark.
//
//   dns_floor --addr 127.0.0.1:PORT --name NAME --a A.B.C.D [--seconds S] [--ttl T] [--no-gso]
//
// One thread, one UDP socket, a blocking recvmmsg() of up to 64 datagrams and one sendmmsg() of
// the replies. Replies of a batch to the same client address and of the same size leave as one
// UDP GSO message (UDP_SEGMENT), as skiff's responder sends them: on loopback the kernel's trip
// per datagram is most of the cost, and a floor that paid it once per reply would sit above a
// server that does not (`--no-gso` sends one datagram per reply, to see the difference).
//
// A standard query (QR=0, opcode 0, QDCOUNT 1) for exactly NAME (ASCII letters compared
// case-insensitively), type A, class IN is answered in place: the header becomes QR=1 AA=1 RA=0
// ANCOUNT=1 ARCOUNT=0, the question is kept, anything after it (an EDNS OPT record) is cut, and
// the answer is appended as `c0 0c` (a pointer to the question's name), A, IN, TTL and the
// address. Any other name, type or class gets REFUSED with the question; another opcode NOTIMP;
// a query whose question is missing or runs past the datagram FORMERR (header only); responses,
// datagrams shorter than a header and datagrams over 4 KiB are dropped. Every read is
// bounds-checked.
//
// What it leaves out, on purpose: no zone (one name, one record), no name compression beyond the
// one pointer, no TCP, no EDNS (no OPT in the reply, so no larger UDP size and no cookies), no
// ACLs, no metrics, no logging per query. What remains is what any UDP DNS server must do per
// query: take the datagram from the kernel, look at its header and question, write an answer
// and hand it back to the kernel. The CPU that costs is the floor for a server built on these
// system calls (io_uring or AF_XDP could go lower); its share in the kernel shows how much of a
// real server's cost the kernel alone takes.
// Exits after S seconds (default 60) or on SIGTERM/SIGINT, printing its counts to stderr.
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string>

#include "endpoint.h"

namespace {

constexpr int kBatch = 64;
constexpr std::size_t kMaxQuery = 4096;                   // larger datagrams are dropped
constexpr std::size_t kAnswerSize = 16;                   // c0 0c, type, class, TTL, rdlength, A
constexpr std::size_t kBuffer = kMaxQuery + kAnswerSize;  // room to append the answer in place
constexpr std::size_t kMaxGsoBytes = 60000;  // the kernel takes at most 64 KiB in one GSO send
enum Rcode : uint8_t { kNoError = 0, kFormErr = 1, kNotImp = 4, kRefused = 5 };

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Config {
  std::string wire_name;             // the name in wire format, lower case
  std::array<uint8_t, 4> address{};  // network order
  uint32_t ttl = 5;
};

// "bench.default.svc.cluster.local" -> "\5bench\7default...\0" in lower case; exits if invalid.
std::string to_wire(const std::string& name) {
  std::string wire, label;
  const std::string text = name.empty() || name.back() != '.' ? name + "." : name;
  for (const char c : text) {
    if (c != '.') {
      label += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      continue;
    }
    if (label.empty() || label.size() > 63) bench::die("bad --name '" + name + "'");
    wire += static_cast<char>(label.size());
    wire += label;
    label.clear();
  }
  wire += '\0';
  if (wire.size() > 255) bench::die("--name is longer than 255 octets");
  return wire;
}

uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }

// Turns the query in p[0, len) into its reply in place (p has kBuffer bytes). Returns the reply's
// length, or 0 to drop the datagram.
std::size_t answer(uint8_t* p, std::size_t len, const Config& cfg) {
  if (len < 12 || (p[2] & 0x80)) return 0;  // no header to answer, or a response: never reply
  const uint8_t rd = p[2] & 0x01;
  const auto reply = [&](Rcode rcode, std::size_t end, bool question) {
    p[2] = static_cast<uint8_t>(0x80 | (p[2] & 0x78) | (rcode == kNoError ? 0x04 : 0) | rd);
    p[3] = rcode;                                // RA=0, Z=0
    p[4] = 0, p[5] = question ? 1 : 0;           // QDCOUNT
    p[6] = 0, p[7] = rcode == kNoError ? 1 : 0;  // ANCOUNT
    std::memset(p + 8, 0, 4);                    // NSCOUNT, ARCOUNT
    return question ? end : std::size_t{12};
  };
  if ((p[2] & 0x78) != 0) return reply(kNotImp, 12, false);
  if (p[4] != 0 || p[5] != 1) return reply(kFormErr, 12, false);
  // Walk the question's name: uncompressed labels ending in the root label, within the datagram.
  std::size_t at = 12;
  bool same = true;  // the name so far equals cfg.wire_name
  for (;;) {
    if (at >= len) return reply(kFormErr, 12, false);
    const uint8_t n = p[at];
    if (n > 63 || at - 12 + 1 + n > 255) return reply(kFormErr, 12, false);
    if (at + 1 + n > len) return reply(kFormErr, 12, false);
    for (std::size_t i = 0; same && i <= n; ++i) {
      const std::size_t k = at - 12 + i;
      same = k < cfg.wire_name.size() &&
             (i == 0 ? p[at] : lower(p[at + i])) == static_cast<uint8_t>(cfg.wire_name[k]);
    }
    at += 1 + n;
    if (n == 0) break;
  }
  if (at + 4 > len) return reply(kFormErr, 12, false);
  same = same && at - 12 == cfg.wire_name.size();
  const bool a_in = p[at] == 0 && p[at + 1] == 1 && p[at + 2] == 0 && p[at + 3] == 1;
  at += 4;
  if (!same || !a_in) return reply(kRefused, at, true);
  static constexpr uint8_t kHead[] = {0xc0, 0x0c, 0, 1, 0, 1};
  std::memcpy(p + at, kHead, sizeof kHead);
  const uint32_t ttl = htonl(cfg.ttl);
  std::memcpy(p + at + 6, &ttl, 4);
  p[at + 10] = 0, p[at + 11] = 4;
  std::memcpy(p + at + 12, cfg.address.data(), 4);
  return reply(kNoError, at + kAnswerSize, true);
}

[[noreturn]] void usage() {
  bench::die(
      "usage: dns_floor --addr HOST:PORT --name NAME --a A.B.C.D [--seconds S] [--ttl T] "
      "[--no-gso]");
}

// The replies of one batch as sendmmsg() messages: a message per client address and reply size,
// its replies one iovec each, with a UDP_SEGMENT control message when it holds more than one.
struct Outbox {
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<Control, kBatch> control{};
  std::array<int, kBatch> group{};  // per reply: its message
  std::array<unsigned, kBatch> count{}, first{};
  unsigned groups = 0;

  // `replies` are (address, buffer, length) in arrival order; lays out the messages.
  void build(const std::array<iovec, kBatch>& data, std::array<sockaddr_in*, kBatch>& from,
             unsigned replies, bool gso) {
    groups = 0;
    for (unsigned r = 0; r < replies; ++r) {
      unsigned g = 0;
      while (gso && g < groups &&
             !(data[first[g]].iov_len == data[r].iov_len &&
               (count[g] + 1) * data[r].iov_len <= kMaxGsoBytes &&
               from[first[g]]->sin_port == from[r]->sin_port &&
               from[first[g]]->sin_addr.s_addr == from[r]->sin_addr.s_addr)) {
        ++g;
      }
      if (!gso || g == groups) first[g = groups++] = r, count[g] = 0;
      group[r] = static_cast<int>(g), ++count[g];
    }
    unsigned at = 0;
    for (unsigned g = 0; g < groups; ++g) {
      msghdr& h = msgs[g].msg_hdr;
      h = {};
      h.msg_name = from[first[g]];
      h.msg_namelen = sizeof(sockaddr_in);
      h.msg_iov = &iov[at];
      h.msg_iovlen = count[g];
      for (unsigned r = first[g]; r < replies; ++r) {
        if (group[r] == static_cast<int>(g)) iov[at++] = data[r];
      }
      if (count[g] > 1) {
        h.msg_control = control[g].bytes;
        h.msg_controllen = sizeof control[g].bytes;
        cmsghdr* cm = CMSG_FIRSTHDR(&h);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto size = static_cast<uint16_t>(data[first[g]].iov_len);
        std::memcpy(CMSG_DATA(cm), &size, sizeof size);
      }
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  sockaddr_in at{};
  bool have_addr = false, have_a = false;
  Config cfg;
  double seconds = 60;
  bool gso = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-gso") {
      gso = false;
      continue;
    }
    if (i + 1 >= argc) usage();
    const char* value = argv[++i];
    if (arg == "--addr") {
      at = bench::parse_endpoint(value), have_addr = true;
    } else if (arg == "--name") {
      cfg.wire_name = to_wire(value);
    } else if (arg == "--a") {
      in_addr a{};
      if (inet_pton(AF_INET, value, &a) != 1) bench::die(std::string("bad --a '") + value + "'");
      std::memcpy(cfg.address.data(), &a, 4), have_a = true;
    } else if (arg == "--seconds") {
      seconds = static_cast<double>(bench::positive("--seconds", value));
    } else if (arg == "--ttl") {
      cfg.ttl = static_cast<uint32_t>(bench::positive("--ttl", value));
    } else {
      usage();
    }
  }
  if (!have_addr || !have_a || cfg.wire_name.empty()) usage();

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a signal ends the blocking recvmmsg with EINTR
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) bench::die_errno("socket");
  const int rcvbuf = 1 << 20;  // as skiff's DNS workers ask for
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  const timeval tick{0, 200 * 1000};  // wake up now and then to check the deadline
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) bench::die_errno("bind");

  static std::array<std::array<uint8_t, kBuffer>, kBatch> data;
  static Outbox outbox;
  std::array<sockaddr_in, kBatch> from{};
  std::array<iovec, kBatch> iov{}, reply{};
  std::array<sockaddr_in*, kBatch> reply_to{};
  std::array<mmsghdr, kBatch> in{};
  unsigned long long answered = 0, errors = 0, dropped = 0, unsent = 0;
  const double deadline = bench::now_seconds() + seconds;
  while (!g_stop && bench::now_seconds() < deadline) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {data[i].data(), kMaxQuery};
      in[i] = {};
      in[i].msg_hdr.msg_name = &from[i];
      in[i].msg_hdr.msg_namelen = sizeof from[i];
      in[i].msg_hdr.msg_iov = &iov[i];
      in[i].msg_hdr.msg_iovlen = 1;
    }
    // MSG_WAITFORONE: block for the first datagram only, then take what is already queued.
    const int n = recvmmsg(fd, in.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n <= 0) continue;  // the tick, a signal, or an error about one earlier reply
    unsigned replies = 0;
    for (int i = 0; i < n; ++i) {
      const bool whole = !(in[i].msg_hdr.msg_flags & MSG_TRUNC);
      const std::size_t len = whole ? answer(data[i].data(), in[i].msg_len, cfg) : 0;
      if (len == 0) {
        ++dropped;
        continue;
      }
      if ((data[i][3] & 0x0f) == kNoError) {
        ++answered;
      } else {
        ++errors;
      }
      reply[replies] = {data[i].data(), len};
      reply_to[replies++] = &from[i];
    }
    outbox.build(reply, reply_to, replies, gso);
    unsigned sent = 0;
    while (sent < outbox.groups) {
      const int k = sendmmsg(fd, outbox.msgs.data() + sent, outbox.groups - sent, 0);
      if (k > 0) {
        sent += static_cast<unsigned>(k);
        continue;
      }
      if (k < 0 && errno == EINTR) continue;
      const msghdr& h = outbox.msgs[sent].msg_hdr;
      if (h.msg_iovlen > 1) {
        // GSO refused (a kernel or route without it): send this group one by one from now on.
        gso = false;
        for (std::size_t r = 0; r < h.msg_iovlen; ++r) {
          if (sendto(fd, h.msg_iov[r].iov_base, h.msg_iov[r].iov_len, 0,
                     static_cast<const sockaddr*>(h.msg_name), h.msg_namelen) < 0) {
            ++unsent;
          }
        }
      } else {
        ++unsent;  // this reply cannot go (full queue, gone client): drop it, go on
      }
      ++sent;
    }
  }
  std::fprintf(stderr, "dns_floor: answered %llu, error replies %llu, dropped %llu, unsent %llu\n",
               answered, errors, dropped, unsent);
  close(fd);
  return 0;
}
