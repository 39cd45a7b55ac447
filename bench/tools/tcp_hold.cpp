// tcp_hold: the benchmark's idle-connection test. Opens N TCP connections to a target (a proxy
// in front of tcp_echo), proves each one works with a byte through it and back, lets them sit
// idle, measures the proxy's memory, proves each one still works, then closes them all and
// checks the proxy gave its descriptors back. Bounded: every phase has a deadline.
//
//   tcp_hold --target HOST:PORT [--count 10000] [--idle 2] [--seconds 60]
//            [--pids PID[,PID...]] [--concurrency 256]
//
// --pids names the proxy's processes: their VmRSS (from /proc/PID/status) is summed before the
// connections open and after they have been idle, and their open descriptors are counted.
// Prints one JSON object; exits 0 only if every connection opened and carried both bytes.
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "endpoint.h"

namespace {

struct Options {
  sockaddr_in target{};
  bool has_target = false;
  long count = 10000;
  long idle = 2;
  long seconds = 60;
  long concurrency = 256;
  std::vector<int> pids;
};

enum class State { kIdle, kConnecting, kOpen, kFailed };

struct Conn {
  int fd = -1;
  State state = State::kIdle;
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
    } else if (arg == "--count") {
      o.count = bench::positive("--count", v);
    } else if (arg == "--idle") {
      o.idle = bench::positive("--idle", v);
    } else if (arg == "--seconds") {
      o.seconds = bench::positive("--seconds", v);
    } else if (arg == "--concurrency") {
      o.concurrency = bench::positive("--concurrency", v);
    } else if (arg == "--pids") {
      std::stringstream in(v);
      std::string pid;
      while (std::getline(in, pid, ',')) {
        if (!pid.empty())
          o.pids.push_back(static_cast<int>(bench::positive("--pids", pid.c_str())));
      }
    } else {
      bench::die("unknown option " + arg);
    }
  }
  if (!o.has_target) bench::die("--target HOST:PORT is required");
  return o;
}

// Sum of VmRSS (KiB) over the processes; -1 if one cannot be read.
long rss_kib(const std::vector<int>& pids) {
  long total = 0;
  for (int pid : pids) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    long kib = -1;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) kib = std::strtol(line.c_str() + 6, nullptr, 10);
    }
    if (kib < 0) return -1;
    total += kib;
  }
  return total;
}

// Open descriptors over the processes; -1 if one cannot be read.
long fd_count(const std::vector<int>& pids) {
  long total = 0;
  for (int pid : pids) {
    DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!dir) return -1;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++total;
    }
    closedir(dir);
  }
  return total;
}

class Holder {
 public:
  explicit Holder(const Options& o) : o_(o), conns_(static_cast<std::size_t>(o.count)) {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) bench::die_errno("epoll_create1");
  }

  // Opens every connection, at most `concurrency` connects in flight. Returns how many opened.
  long open_all(double deadline) {
    std::size_t next = 0;
    long pending = 0, opened = 0;
    std::array<epoll_event, 512> events;
    while ((next < conns_.size() || pending > 0) && bench::now_seconds() < deadline) {
      while (next < conns_.size() && pending < o_.concurrency) {
        if (start_connect(next++)) ++pending;
      }
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (c.state != State::kConnecting) continue;
        --pending;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          fail(c);
          continue;
        }
        c.state = State::kOpen;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u32 = events[i].data.u32;
        epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
        ++opened;
      }
    }
    for (auto& c : conns_) {
      if (c.state == State::kConnecting || c.state == State::kIdle) fail(c);
    }
    return opened;
  }

  // Sends one byte on every open connection and waits for it to come back. Returns how many
  // connections echoed it; the others are marked failed.
  long round_trip(char byte, double deadline) {
    long waiting = 0;
    std::vector<bool> done(conns_.size(), false);
    for (auto& c : conns_) {
      if (c.state != State::kOpen) continue;
      if (send(c.fd, &byte, 1, MSG_NOSIGNAL) != 1) {
        fail(c);
        continue;
      }
      ++waiting;
    }
    long ok = 0;
    std::array<epoll_event, 512> events;
    while (waiting > 0 && bench::now_seconds() < deadline) {
      const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < n; ++i) {
        const uint32_t idx = events[i].data.u32;
        Conn& c = conns_[idx];
        if (c.state != State::kOpen || done[idx]) continue;
        char got = 0;
        const ssize_t r = recv(c.fd, &got, 1, MSG_DONTWAIT);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        --waiting;
        if (r == 1 && got == byte) {
          done[idx] = true;
          ++ok;
        } else {
          fail(c);
        }
      }
    }
    for (std::size_t i = 0; i < conns_.size(); ++i) {
      if (conns_[i].state == State::kOpen && !done[i]) fail(conns_[i]);
    }
    return ok;
  }

  void close_all() {
    for (auto& c : conns_) {
      if (c.fd >= 0) close(c.fd);
      c.fd = -1;
    }
  }

 private:
  bool start_connect(std::size_t i) {
    Conn& c = conns_[i];
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
      c.state = State::kFailed;
      return false;
    }
    const int r = connect(c.fd, reinterpret_cast<const sockaddr*>(&o_.target), sizeof o_.target);
    if (r != 0 && errno != EINPROGRESS) {
      fail(c);
      return false;
    }
    c.state = State::kConnecting;
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  void fail(Conn& c) {
    if (c.fd >= 0) {
      epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c.fd = -1;
    c.state = State::kFailed;
  }

  const Options& o_;
  std::vector<Conn> conns_;
  int ep_ = -1;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  bench::raise_nofile();
  const double start = bench::now_seconds();
  const double deadline = start + static_cast<double>(o.seconds);

  const long rss_before = rss_kib(o.pids);
  const long fds_before = fd_count(o.pids);
  Holder h(o);
  const long opened = h.open_all(deadline);
  const double opened_at = bench::now_seconds();
  const long round1 = h.round_trip('a', deadline);
  const double round1_at = bench::now_seconds();

  std::this_thread::sleep_for(std::chrono::seconds(o.idle));
  const long rss_held = rss_kib(o.pids);
  const long fds_held = fd_count(o.pids);

  const double round2_start = bench::now_seconds();
  const long round2 = h.round_trip('b', deadline);
  const double round2_at = bench::now_seconds();
  h.close_all();

  // The proxy should give back every descriptor once the clients are gone; wait up to 5 s.
  long fds_after = fd_count(o.pids);
  for (int i = 0; i < 50 && fds_after > fds_before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fds_after = fd_count(o.pids);
  }
  const long rss_after = rss_kib(o.pids);

  const double per_conn = (rss_before >= 0 && rss_held >= 0 && round1 > 0)
                              ? static_cast<double>(rss_held - rss_before) / round1
                              : -1;
  std::printf(
      "{\"count\": %ld, \"opened\": %ld, \"round1_ok\": %ld, \"round2_ok\": %ld, "
      "\"open_seconds\": %.3f, \"round1_seconds\": %.3f, \"round2_seconds\": %.3f, "
      "\"idle_seconds\": %ld, \"rss_before_kib\": %ld, \"rss_held_kib\": %ld, "
      "\"rss_after_close_kib\": %ld, \"kib_per_conn\": %.3f, \"fds_before\": %ld, "
      "\"fds_held\": %ld, \"fds_after_close\": %ld}\n",
      o.count, opened, round1, round2, opened_at - start, round1_at - opened_at,
      round2_at - round2_start, o.idle, rss_before, rss_held, rss_after, per_conn, fds_before,
      fds_held, fds_after);
  return (opened == o.count && round1 == o.count && round2 == o.count) ? 0 : 1;
}
