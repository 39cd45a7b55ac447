// A raw HTTP client for the log tests: one request on its own TCP connection to the daemon's
// API, reading what arrives with a deadline, so a test sees the stream exactly as sent
// (head, chunks, the end of the stream).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace skiff::test {

class LogClient {
 public:
  LogClient(uint16_t port, const std::string& target, const std::string& version = "1.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string req =
        "GET " + target + " HTTP/" + version + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    sent_ = ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  ~LogClient() { close(); }
  LogClient(const LogClient&) = delete;
  LogClient& operator=(const LogClient&) = delete;

  bool sent() const { return sent_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until `text` has arrived (true), the server closed, or the deadline passed.
  bool read_until(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(text) == std::string::npos) {
      if (!read_some(deadline)) return received_.find(text) != std::string::npos;
    }
    return true;
  }

  // Reads until the server closes the connection (true) or the deadline passes.
  bool read_to_end(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
      if (!read_some(deadline)) return closed_;
    }
    return true;
  }

  const std::string& received() const { return received_; }
  std::string head() const { return received_.substr(0, received_.find("\r\n\r\n")); }
  // The body of an HTTP/1.0 exchange (raw, ended by the close).
  std::string body() const {
    const auto end = received_.find("\r\n\r\n");
    return end == std::string::npos ? "" : received_.substr(end + 4);
  }
  int status() const {
    return received_.size() > 12 ? std::atoi(received_.substr(9, 3).c_str()) : 0;
  }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed_) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool sent_ = false;
  bool closed_ = false;
  std::string received_;
};

// The number of open descriptors of a process.
inline size_t fd_count(int pid) {
  size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return n;
}

// The pid of the skiff daemon whose command line names `state_dir` (-1: none).
inline int daemon_pid(const std::filesystem::path& state_dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find("--state-dir") != std::string::npos &&
        cmdline.find(state_dir.string()) != std::string::npos) {
      return std::stoi(name);
    }
  }
  return -1;
}

}  // namespace skiff::test
