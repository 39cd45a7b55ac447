// tcp_echo: the backend of the benchmark's idle-connection test. Accepts any number of
// connections (up to the descriptor limit, which it raises to the hard limit) and writes every
// byte back, on one thread with epoll. Bytes a peer cannot take yet are kept per connection
// (at most 64 KiB, then the connection is closed) and sent when it becomes writable.
//
//   tcp_echo [--seconds S] HOST:PORT [HOST:PORT...]
//
// Exits after S seconds (default 900) or on SIGTERM/SIGINT.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <string>
#include <unordered_map>
#include <vector>

#include "endpoint.h"

namespace {

constexpr std::size_t kMaxPending = 64 * 1024;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Server {
  int ep = -1;
  std::vector<int> listeners;
  std::unordered_map<int, std::string> pending;  // fd -> bytes not yet echoed

  void drop(int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    pending.erase(fd);
  }

  void watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(ep, op, fd, &ev);
  }

  bool is_listener(int fd) const {
    return std::find(listeners.begin(), listeners.end(), fd) != listeners.end();
  }

  void accept_all(int listener) {
    for (;;) {
      const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        // EMFILE/ENFILE: leave the rest in the backlog and back off briefly instead of spinning
        // on the still-readable listener.
        if (errno == EMFILE || errno == ENFILE) usleep(10000);
        return;
      }
      pending.emplace(fd, std::string());
      watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  // Writes what is pending; false if the connection failed.
  bool flush(int fd, std::string& out) {
    while (!out.empty()) {
      const ssize_t n = send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
      out.erase(0, static_cast<std::size_t>(n));
    }
    return true;
  }

  void serve(int fd, uint32_t events) {
    auto it = pending.find(fd);
    if (it == pending.end()) return;
    std::string& out = it->second;
    if (events & (EPOLLERR | EPOLLHUP)) return drop(fd);
    if ((events & EPOLLRDHUP) && !(events & EPOLLIN)) return drop(fd);
    if (events & EPOLLIN) {
      std::array<char, 16384> buf;
      for (;;) {
        const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
        if (n == 0) return drop(fd);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          return drop(fd);
        }
        out.append(buf.data(), static_cast<std::size_t>(n));
        if (!flush(fd, out) || out.size() > kMaxPending) return drop(fd);
        if (!out.empty()) break;  // peer is slow: stop reading until it drains
      }
    }
    if ((events & EPOLLOUT) && !flush(fd, out)) return drop(fd);
    watch(fd, out.empty() ? (EPOLLIN | EPOLLRDHUP) : (EPOLLOUT | EPOLLRDHUP), EPOLL_CTL_MOD);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: tcp_echo [--seconds S] HOST:PORT [HOST:PORT...]";
  const auto [seconds, where] = bench::parse_seconds_and_addresses(argc, argv, usage, 900, 1);
  bench::raise_nofile();
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  Server s;
  s.ep = epoll_create1(EPOLL_CLOEXEC);
  if (s.ep < 0) bench::die_errno("epoll_create1");
  for (const auto& w : where) {
    const sockaddr_in at = bench::parse_endpoint(w);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) bench::die_errno("socket");
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
      bench::die_errno("bind " + w);
    }
    if (listen(fd, 4096) != 0) bench::die_errno("listen");
    s.listeners.push_back(fd);
    s.watch(fd, EPOLLIN, EPOLL_CTL_ADD);
  }

  const double deadline = bench::now_seconds() + seconds;
  std::array<epoll_event, 512> events;
  while (!g_stop && bench::now_seconds() < deadline) {
    const int n = epoll_wait(s.ep, events.data(), static_cast<int>(events.size()), 200);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (s.is_listener(fd)) {
        s.accept_all(fd);
      } else {
        s.serve(fd, events[i].events);
      }
    }
  }
  return 0;
}
