// udp_blast: the UDP load generator of the proxy benchmark. Sends datagrams to an echo service
// on M flows (one connected socket, so one client address, per flow), keeping at most W
// datagrams in flight per flow, and counts the echoes. Bounded: stops after N datagrams or S
// seconds, whichever comes first, then waits at most 0.3 s for late replies.
//
//   udp_blast --target HOST:PORT [--flows 8] [--window 16] [--count 2000000] [--seconds 5]
//             [--size 64]
//
// Prints one JSON object: sent, received, lost, loss_pct, bad (echoes of the wrong size or
// for another flow: a proxy mixing up flows), errors (send/recv failures), seconds, pps
// (echoes received per second: each is one datagram through the proxy and its reply back).
// A flow whose echoes stop for 100 ms has its in-flight datagrams written off as lost so
// that loss slows the run down instead of stalling it; an echo that arrives later still counts.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "endpoint.h"

namespace {

constexpr int kBatch = 64;
constexpr double kStallSeconds = 0.1;
constexpr double kDrainSeconds = 0.3;

struct Options {
  sockaddr_in target{};
  bool has_target = false;
  long flows = 8;
  long window = 16;
  long count = 2000000;
  long seconds = 5;
  long size = 64;
};

struct Flow {
  int fd = -1;
  uint64_t id = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t written_off = 0;  // presumed lost; an echo arriving later takes one back
  double last_progress = 0;
  int64_t in_flight() const {
    return static_cast<int64_t>(sent) - static_cast<int64_t>(received + written_off);
  }
};

struct Totals {
  uint64_t sent = 0, received = 0, bad = 0, errors = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) bench::die("missing value after " + arg);
    const char* v = argv[++i];
    if (arg == "--target") {
      o.target = bench::parse_endpoint(v);
      o.has_target = true;
    } else if (arg == "--flows") {
      o.flows = bench::positive("--flows", v);
    } else if (arg == "--window") {
      o.window = bench::positive("--window", v);
    } else if (arg == "--count") {
      o.count = bench::positive("--count", v);
    } else if (arg == "--seconds") {
      o.seconds = bench::positive("--seconds", v);
    } else if (arg == "--size") {
      o.size = bench::positive("--size", v);
    } else {
      bench::die("unknown option " + arg);
    }
  }
  if (!o.has_target) bench::die("--target HOST:PORT is required");
  if (o.size < 16 || o.size > 1400) bench::die("--size must be 16..1400");
  if (o.flows > 4096) bench::die("--flows must be at most 4096");
  return o;
}

// Sends up to `n` datagrams on the flow; returns how many the kernel took.
int send_some(Flow& f, int n, long size, Totals& t) {
  static std::array<std::array<char, 1400>, kBatch> data;
  static std::array<iovec, kBatch> iov;
  static std::array<mmsghdr, kBatch> msgs;
  n = std::min(n, kBatch);
  for (int i = 0; i < n; ++i) {
    const uint64_t seq = f.sent + static_cast<uint64_t>(i);
    std::memcpy(data[i].data(), &f.id, 8);
    std::memcpy(data[i].data() + 8, &seq, 8);
    iov[i] = {data[i].data(), static_cast<std::size_t>(size)};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const int k = sendmmsg(f.fd, msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT);
  if (k < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) ++t.errors;
    return 0;
  }
  f.sent += static_cast<uint64_t>(k);
  t.sent += static_cast<uint64_t>(k);
  return k;
}

// Reads every queued echo of the flow.
void receive_all(Flow& f, long size, Totals& t, double now) {
  static std::array<std::array<char, 2048>, kBatch> data;
  static std::array<iovec, kBatch> iov;
  static std::array<mmsghdr, kBatch> msgs;
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {data[i].data(), data[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(f.fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      // ECONNREFUSED: an ICMP error queued on the connected socket; the datagram is lost.
      if (errno != EAGAIN && errno != EWOULDBLOCK) ++t.errors;
      if (errno == ECONNREFUSED) continue;
      return;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t id = 0;
      if (msgs[i].msg_len >= 8) std::memcpy(&id, data[i].data(), 8);
      if (msgs[i].msg_len != static_cast<unsigned>(size) || id != f.id) {
        ++t.bad;
        continue;
      }
      if (f.in_flight() <= 0 && f.written_off > 0) --f.written_off;
      ++f.received;
      ++t.received;
    }
    if (n > 0) f.last_progress = now;
    if (n < kBatch) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  bench::raise_nofile();
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) bench::die_errno("epoll_create1");
  std::vector<Flow> flows(static_cast<std::size_t>(o.flows));
  for (std::size_t i = 0; i < flows.size(); ++i) {
    Flow& f = flows[i];
    f.id = 0x5eed000000000000ull + i;
    f.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (f.fd < 0) bench::die_errno("socket");
    const int buf = 4 << 20;
    setsockopt(f.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (connect(f.fd, reinterpret_cast<const sockaddr*>(&o.target), sizeof o.target) != 0) {
      bench::die_errno("connect");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, f.fd, &ev) != 0) bench::die_errno("epoll_ctl");
  }

  Totals t;
  const double start = bench::now_seconds();
  const double deadline = start + static_cast<double>(o.seconds);
  const auto budget = static_cast<uint64_t>(o.count);
  for (auto& f : flows) f.last_progress = start;
  std::array<epoll_event, 256> events;
  double now = start;
  double last_echo = start;
  for (;;) {
    now = bench::now_seconds();
    if (now >= deadline) break;
    bool busy = false;
    for (auto& f : flows) {
      if (t.sent >= budget) break;
      const int64_t room = o.window - f.in_flight();
      if (room <= 0) continue;
      const int64_t want = std::min<int64_t>(room, static_cast<int64_t>(budget - t.sent));
      if (send_some(f, static_cast<int>(want), o.size, t) > 0) busy = true;
    }
    bool in_flight = false;
    for (auto& f : flows) {
      if (f.in_flight() <= 0) continue;
      if (now - f.last_progress > kStallSeconds) {
        f.written_off += static_cast<uint64_t>(f.in_flight());
        f.last_progress = now;
      } else {
        in_flight = true;
      }
    }
    if (t.sent >= budget && !in_flight) break;
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), busy ? 0 : 10);
    if (n > 0) {
      now = bench::now_seconds();
      for (int i = 0; i < n; ++i) receive_all(flows[events[i].data.u64], o.size, t, now);
      last_echo = now;
    }
  }
  const double end = std::max(last_echo, start + 1e-6);
  const uint64_t received_timed = t.received;
  // Late echoes still count as delivered, but not toward the rate.
  const double drain_until = bench::now_seconds() + kDrainSeconds;
  while (t.received < t.sent) {
    const double left = drain_until - bench::now_seconds();
    if (left <= 0) break;
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()),
                             static_cast<int>(left * 1000) + 1);
    for (int i = 0; i < n; ++i) {
      receive_all(flows[events[i].data.u64], o.size, t, bench::now_seconds());
    }
  }
  const double seconds = end - start;
  const uint64_t lost = t.sent > t.received ? t.sent - t.received : 0;
  std::printf(
      "{\"sent\": %" PRIu64 ", \"received\": %" PRIu64 ", \"lost\": %" PRIu64
      ", \"loss_pct\": %.3f, \"bad\": %" PRIu64 ", \"errors\": %" PRIu64
      ", \"flows\": %ld, \"window\": %ld, \"size\": %ld, \"seconds\": %.3f, \"pps\": %.1f}\n",
      t.sent, t.received, lost, t.sent ? 100.0 * static_cast<double>(lost) / t.sent : 0.0, t.bad,
      t.errors, o.flows, o.window, o.size, seconds, static_cast<double>(received_timed) / seconds);
  return t.received > 0 ? 0 : 1;
}
