// Plain blocking sockets for the proxy integration tests: small backends that answer in a known
// way and clients with timeouts, so every test is bounded even when the proxy misbehaves.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace skiff::proxy::test {

constexpr int kIoTimeoutSeconds = 5;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd_ = other.fd_;
    other.fd_ = -1;
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline void set_timeouts(int fd) {
  timeval tv{kIoTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

inline sockaddr_in make_sockaddr(const std::string& ip, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  return addr;
}

// Connected socket, or an invalid Fd with errno set (e.g. ECONNREFUSED).
inline Fd connect_to(const std::string& ip, uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  set_timeouts(fd.get());
  auto addr = make_sockaddr(ip, port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    fd.reset();
    errno = saved;
  }
  return fd;
}

inline bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

struct ReadResult {
  std::string data;
  bool eof = false;  // orderly end
  int error = 0;     // errno of the failing recv (ECONNRESET, EAGAIN on timeout), 0 if eof
};

// Reads until EOF, error, timeout, or `limit` bytes.
inline ReadResult read_all(int fd, std::size_t limit = 64 * 1024 * 1024) {
  ReadResult result;
  char buf[16384];
  while (result.data.size() < limit) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
      result.eof = true;
      break;
    }
    if (n < 0) {
      result.error = errno;
      break;
    }
    result.data.append(buf, static_cast<std::size_t>(n));
  }
  return result;
}

// Reads exactly n bytes, or fewer on EOF/error/timeout.
inline std::string read_n(int fd, std::size_t n) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

// `size` bytes of a fixed pseudo-random sequence: the same seed gives the same bytes.
inline std::string pseudo_random(std::size_t size, uint32_t seed) {
  std::string payload(size, '\0');
  for (auto& ch : payload) {
    seed = seed * 1103515245u + 12345u;
    ch = static_cast<char>(seed >> 24);
  }
  return payload;
}

struct Exchange {
  bool connected = false;
  bool sent = false;  // all of the payload, then a half-close
  ReadResult back;    // what came back, until EOF
};

// One connection that sends `payload` from a second thread, half-closes, and reads what comes
// back on this one; both at once, so an echo of any size cannot deadlock on full buffers.
inline Exchange exchange(const std::string& ip, uint16_t port, const std::string& payload) {
  Exchange result;
  Fd fd = connect_to(ip, port);
  if (!fd.valid()) return result;
  result.connected = true;
  std::thread writer([&] {
    result.sent = write_all(fd.get(), payload);
    ::shutdown(fd.get(), SHUT_WR);
  });
  result.back = read_all(fd.get(), payload.size() + 1);
  writer.join();
  return result;
}

// A TCP server on 127.0.0.1 (ephemeral port) answering every connection in one way.
class Backend {
 public:
  enum class Mode {
    kName,           // sends its name, then closes
    kEcho,           // echoes until EOF, then closes
    kNameThenEcho,   // sends "name\n", then echoes until EOF
    kReplyAfterEof,  // reads until EOF, then sends "name:<bytes read>" and closes
  };

  Backend(std::string name, Mode mode) : name_(std::move(name)), mode_(mode) {
    listener_ = Fd(::socket(AF_INET, SOCK_STREAM, 0));
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto addr = make_sockaddr("127.0.0.1", 0);
    ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_.get(), 128);
    socklen_t len = sizeof addr;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~Backend() {
    stop_ = true;
    accept_thread_.join();
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) c.thread.join();
  }

  const std::string& name() const { return name_; }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    // Polls with a short timeout so the destructor's stop flag is seen within ~20 ms.
    while (!stop_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(listener_.get(), nullptr, nullptr);
      if (fd < 0) {
        // Out of descriptors (a test lowering RLIMIT_NOFILE): back off instead of spinning.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      ++accepted_;
      std::lock_guard lock(mutex_);
      reap_finished();
      auto done = std::make_shared<std::atomic<bool>>(false);
      connections_.push_back({std::thread([this, fd, done] {
                                serve(Fd(fd));
                                *done = true;
                              }),
                              done});
    }
  }

  // Joins the threads of connections that ended, so a test looping thousands of connections
  // measures the proxy's memory, not a pile of finished threads' stacks. Caller holds mutex_.
  void reap_finished() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (*it->done) {
        it->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(Fd fd) {
    set_timeouts(fd.get());
    switch (mode_) {
      case Mode::kName:
        write_all(fd.get(), name_);
        break;
      case Mode::kNameThenEcho:
        write_all(fd.get(), name_ + "\n");
        echo(fd.get());
        break;
      case Mode::kEcho:
        echo(fd.get());
        break;
      case Mode::kReplyAfterEof: {
        auto got = read_all(fd.get());
        if (got.eof) write_all(fd.get(), name_ + ":" + std::to_string(got.data.size()));
        break;
      }
    }
  }

  void echo(int fd) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 || stop_) return;
      if (!write_all(fd, std::string(buf, static_cast<std::size_t>(n)))) return;
    }
  }

  std::string name_;
  Mode mode_;
  Fd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set by the thread as its last step
  };
  std::mutex mutex_;  // guards connections_
  std::list<Connection> connections_;
};

// A port on 127.0.0.1 that refuses connections: bound once to learn a free number, then closed.
inline uint16_t refused_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));
  auto addr = make_sockaddr("127.0.0.1", 0);
  ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A UDP server on 127.0.0.1 (ephemeral port) answering each datagram with "name:<datagram>".
class UdpBackend {
 public:
  explicit UdpBackend(std::string name) : name_(std::move(name)) {
    socket_ = Fd(::socket(AF_INET, SOCK_DGRAM, 0));
    auto addr = make_sockaddr("127.0.0.1", 0);
    ::bind(socket_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(socket_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~UdpBackend() {
    stop_ = true;
    thread_.join();
  }
  const std::string& name() const { return name_; }
  uint16_t port() const { return port_; }

 private:
  void serve() {
    char buf[65536];
    while (!stop_) {
      pollfd p{socket_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n =
          ::recvfrom(socket_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      std::string reply = name_ + ":" + std::string(buf, static_cast<std::size_t>(n));
      ::sendto(socket_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
               len);
    }
  }

  std::string name_;
  Fd socket_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A UDP client socket with receive timeouts.
class UdpClient {
 public:
  UdpClient() : socket_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    timeval tv{2, 0};
    ::setsockopt(socket_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // Sends one datagram and returns the reply with the address it came from ("" on timeout).
  std::pair<std::string, std::string> ask(const std::string& ip, uint16_t port,
                                          const std::string& datagram) {
    auto to = make_sockaddr(ip, port);
    ::sendto(socket_.get(), datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof to);
    char buf[65536];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(socket_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return {"", ""};
    char ip_text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &from.sin_addr, ip_text, sizeof ip_text);
    return {std::string(buf, static_cast<std::size_t>(n)),
            std::string(ip_text) + ":" + std::to_string(ntohs(from.sin_port))};
  }

 private:
  Fd socket_;
};

}  // namespace skiff::proxy::test
