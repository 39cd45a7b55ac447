// udp_echo: the UDP backend of the proxy benchmark. Sends every datagram back to its sender,
// on one thread, in batches (recvmmsg/sendmmsg) so it is never the bottleneck of a run.
//
//   udp_echo [--seconds S] HOST:PORT [HOST:PORT...]
//
// Listens on every address given; exits after S seconds (default 900) or on SIGTERM/SIGINT.
// A reply the kernel cannot queue is dropped, as a UDP server may; the load tool counts it lost.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <string>
#include <vector>

#include "endpoint.h"

namespace {

constexpr int kBatch = 64;
constexpr std::size_t kMaxDatagram = 2048;  // the load tool sends small datagrams

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int open_socket(const sockaddr_in& at) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) bench::die_errno("socket");
  const int size = 8 << 20;
  // FORCE variants need CAP_NET_ADMIN; the plain ones are capped by rmem_max but still help.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) bench::die_errno("bind");
  return fd;
}

// Echoes everything queued on `fd` until it would block.
void echo_all(int fd) {
  static std::array<std::array<char, kMaxDatagram>, kBatch> data;
  static std::array<sockaddr_in, kBatch> from;
  static std::array<iovec, kBatch> iov;
  static std::array<mmsghdr, kBatch> msgs;
  for (;;) {
    for (int i = 0; i < kBatch; ++i) {
      iov[i] = {data[i].data(), data[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // EAGAIN (or a transient error): wait for the next readiness
    for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
    int sent = 0;
    while (sent < n) {
      const int k = sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(n - sent), 0);
      if (k <= 0) break;  // full send queue or an unreachable sender: drop the rest
      sent += k;
    }
    if (n < kBatch) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 900;
  std::vector<sockaddr_in> addresses;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = static_cast<double>(bench::positive("--seconds", argv[++i]));
    } else if (!arg.empty() && arg[0] != '-') {
      addresses.push_back(bench::parse_endpoint(arg));
    } else {
      bench::die("usage: udp_echo [--seconds S] HOST:PORT [HOST:PORT...]");
    }
  }
  if (addresses.empty()) bench::die("usage: udp_echo [--seconds S] HOST:PORT [HOST:PORT...]");
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) bench::die_errno("epoll_create1");
  for (const auto& a : addresses) {
    const int fd = open_socket(a);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) bench::die_errno("epoll_ctl");
  }
  const double deadline = bench::now_seconds() + seconds;
  std::array<epoll_event, 16> events;
  while (!g_stop && bench::now_seconds() < deadline) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 200);
    for (int i = 0; i < n; ++i) echo_all(events[i].data.fd);
  }
  return 0;
}
