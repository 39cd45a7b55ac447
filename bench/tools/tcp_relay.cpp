// tcp_relay: the benchmark's "floor" - the least a user-space TCP proxy can do, so that the
// proxy benchmark can show, in the same run, how much of a proxy's cost is the kernel's.
//
//   tcp_relay [--seconds S] LISTEN_HOST:PORT BACKEND_HOST:PORT [BACKEND_HOST:PORT...]
//
// One thread, one edge-triggered epoll set, every socket non-blocking and registered once (no
// epoll_ctl per message). Each accepted connection gets a non-blocking connect to the next
// backend (round robin) and TCP_NODELAY on both sockets; then each direction moves bytes with
// recv + send through ONE 64 KiB buffer shared by all connections. A recv shorter than the
// buffer counts as drained (TCP returns a short read only when its receive queue was empty at
// that instant, and a byte arriving later raises a new edge), unless the peer has closed, when
// it reads on to EOF or EAGAIN. Bytes the destination cannot take yet are held for that
// direction (its buffer allocated the first time) and the source waits until they are sent.
// EOF is passed on as shutdown(SHUT_WR); both EOFs passed on, or any error, close both sockets.
// A direction gives way to other connections after 16 reads in a row.
//
// What it leaves out, on purpose: timeouts (connect, idle, age), retrying another backend,
// health or endpoint changes, metrics, logging, configuration, splice for bulk streams, more
// than one thread. What is left is the syscalls every user-space proxy must make per message
// (epoll_wait, recv, send) and per connection (accept, socket, connect, setsockopt, close), so
// a real proxy's CPU per request can be compared to this floor in the same run. It copies
// bulk streams through user space, so its bulk figure is a copy relay's, not a splicing one's.
//
// Exits after S seconds (default 900) or on SIGTERM/SIGINT.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "endpoint.h"

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr int kReadsPerTurn = 16;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Conn;
struct Side {  // one socket of a connection; its address is the epoll cookie
  Conn* conn;
  int index;  // 0 client, 1 backend
};

struct Conn {
  int fd[2] = {-1, -1};
  Side side[2] = {{this, 0}, {this, 1}};
  bool connected = false;
  bool closed = false;
  bool queued = false;              // waiting in the run queue for another turn
  bool readable[2] = {true, true};  // fd[i] may have bytes (or EOF) we have not read
  bool peer_closed[2] = {};         // fd[i] reported RDHUP/HUP/ERR: read on to EOF
  bool eof[2] = {};                 // direction i (fd[i] -> fd[1-i]) read its EOF
  bool shut[2] = {};                // ... and passed it on
  std::unique_ptr<char[]> held[2];  // direction i's bytes fd[1-i] could not take yet
  std::size_t held_offset[2] = {}, held_length[2] = {};
};

struct Relay {
  int ep = -1;
  int listener = -1;
  std::vector<sockaddr_in> backends;
  std::size_t next_backend = 0;
  std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kBufferSize);
  std::vector<Conn*> closing;  // freed after the current batch of events
  std::deque<Conn*> run;       // connections whose turn ran out with bytes still coming

  void watch(int fd, Side* side) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = side;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) bench::die_errno("epoll_ctl");
  }

  void close_conn(Conn* c) {
    if (c->closed) return;
    c->closed = true;
    for (int fd : c->fd) {
      if (fd >= 0) close(fd);  // close() also takes the socket out of the epoll set
    }
    closing.push_back(c);
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // Out of descriptors: leave the rest in the backlog instead of spinning on it.
        if (errno == EMFILE || errno == ENFILE) usleep(10000);
        return;
      }
      auto* c = new Conn;
      c->fd[0] = fd;
      c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c->fd[1] < 0) {
        close_conn(c);
        continue;
      }
      const int one = 1;
      for (int s : c->fd) setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const sockaddr_in& to = backends[next_backend++ % backends.size()];
      if (connect(c->fd[1], reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
          errno != EINPROGRESS) {
        close_conn(c);
        continue;
      }
      watch(c->fd[0], &c->side[0]);
      watch(c->fd[1], &c->side[1]);  // its first EPOLLOUT says the connect finished
    }
  }

  // Sends what direction d holds; false on an error. held_length[d] > 0 afterwards: blocked.
  bool flush(Conn* c, int d) {
    while (c->held_length[d] > 0) {
      const ssize_t n =
          send(c->fd[1 - d], c->held[d].get() + c->held_offset[d], c->held_length[d], MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      c->held_offset[d] += static_cast<std::size_t>(n);
      c->held_length[d] -= static_cast<std::size_t>(n);
    }
    return true;
  }

  // Moves direction d's bytes until its source is drained, its destination is full, EOF or
  // the end of the turn; false on an error.
  bool pump(Conn* c, int d) {
    if (!flush(c, d)) return false;
    if (c->held_length[d] > 0) return true;  // the destination's EPOLLOUT resumes us
    for (int reads = 0; c->readable[d] && !c->eof[d]; ++reads) {
      if (reads == kReadsPerTurn) {
        if (!c->queued) run.push_back(c);
        c->queued = true;
        return true;
      }
      const ssize_t n = recv(c->fd[d], buffer.get(), kBufferSize, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        c->readable[d] = false;
        break;
      }
      if (n == 0) {
        c->eof[d] = true;
        break;
      }
      const auto length = static_cast<std::size_t>(n);
      if (length < kBufferSize && !c->peer_closed[d]) c->readable[d] = false;  // drained
      ssize_t sent = send(c->fd[1 - d], buffer.get(), length, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
        sent = 0;
      }
      if (static_cast<std::size_t>(sent) < length) {  // destination full: hold the rest
        if (!c->held[d]) c->held[d] = std::make_unique<char[]>(kBufferSize);
        c->held_offset[d] = 0;
        c->held_length[d] = length - static_cast<std::size_t>(sent);
        std::copy(buffer.get() + sent, buffer.get() + length, c->held[d].get());
        return true;
      }
    }
    if (c->eof[d] && !c->shut[d]) {
      c->shut[d] = true;
      if (shutdown(c->fd[1 - d], SHUT_WR) != 0) return false;
    }
    return true;
  }

  void service(Conn* c) {
    if (c->closed || !c->connected) return;
    if (!pump(c, 0) || !pump(c, 1) || (c->shut[0] && c->shut[1])) close_conn(c);
  }

  void on_event(Side* side, uint32_t events) {
    Conn* c = side->conn;
    if (c->closed) return;  // closed earlier in this batch
    const int i = side->index;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->readable[i] = true;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c->peer_closed[i] = true;
    if (i == 1 && !c->connected) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int error = 0;
      socklen_t length = sizeof error;
      if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        return close_conn(c);  // refused or unreachable: the client sees its connection close
      }
      c->connected = true;
    }
    service(c);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: tcp_relay [--seconds S] LISTEN_HOST:PORT BACKEND_HOST:PORT [BACKEND_HOST:PORT...]";
  const auto [seconds, where] = bench::parse_seconds_and_addresses(argc, argv, usage, 900, 2);
  bench::raise_nofile();
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);

  Relay r;
  for (std::size_t i = 1; i < where.size(); ++i) {
    r.backends.push_back(bench::parse_endpoint(where[i]));
  }
  const sockaddr_in at = bench::parse_endpoint(where[0]);
  r.listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r.listener < 0) bench::die_errno("socket");
  const int one = 1;
  setsockopt(r.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(r.listener, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
    bench::die_errno("bind " + where[0]);
  }
  if (listen(r.listener, 4096) != 0) bench::die_errno("listen");
  r.ep = epoll_create1(EPOLL_CLOEXEC);
  if (r.ep < 0) bench::die_errno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: a backlog left by EMFILE is retried
  ev.data.ptr = nullptr;
  if (epoll_ctl(r.ep, EPOLL_CTL_ADD, r.listener, &ev) != 0) bench::die_errno("epoll_ctl");

  const double deadline = bench::now_seconds() + seconds;
  std::array<epoll_event, 512> events;
  while (!g_stop && bench::now_seconds() < deadline) {
    const int n =
        epoll_wait(r.ep, events.data(), static_cast<int>(events.size()), r.run.empty() ? 200 : 0);
    if (n < 0 && errno != EINTR) bench::die_errno("epoll_wait");
    for (int i = 0; i < n; ++i) {
      auto* side = static_cast<Side*>(events[i].data.ptr);
      if (side == nullptr) {
        r.accept_all();
      } else {
        r.on_event(side, events[i].events);
      }
    }
    for (std::size_t k = r.run.size(); k > 0; --k) {  // turns queued from now on wait a loop
      Conn* c = r.run.front();
      r.run.pop_front();
      c->queued = false;
      r.service(c);  // nothing if it closed meanwhile (then it is in `closing`)
    }
    // A closed connection still in the run queue is freed after the queue lets go of it.
    std::erase_if(r.closing, [](Conn* c) {
      if (c->queued) return false;
      delete c;
      return true;
    });
  }
  return 0;
}
