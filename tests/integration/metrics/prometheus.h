// A real Prometheus server for a test: started on a given loopback port with a temporary config
// and storage directory, scraping one target every second, queried through its HTTP API, and
// stopped (SIGTERM, then SIGKILL past a bound) when the test ends.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "tests/integration/seed/harness.h"

namespace skiff::test {

// One HTTP/1.0 GET of `path` over a fresh connection: the status code and body (0 and "" on
// any failure). Bounded by `timeout` per read and write.
struct HttpResponse {
  int status = 0;
  std::string body;
};
inline HttpResponse http_get_path(const std::string& ip, uint16_t port, const std::string& path,
                                  std::chrono::milliseconds timeout = 5000ms) {
  HttpResponse out;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[16384];
      ssize_t n;
      while (response.size() < (64u << 20) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
        response.append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(fd);
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos || response.rfind("HTTP/", 0) != 0) return out;
  const auto space = response.find(' ');
  if (space == std::string::npos || space > head_end) return out;
  out.status = std::atoi(response.c_str() + space + 1);
  out.body = response.substr(head_end + 4);
  return out;
}

// Query-string encoding of a PromQL expression.
inline std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

class Prometheus {
 public:
  static constexpr const char* kBinary = "/usr/bin/prometheus";
  static bool installed() { return ::access(kBinary, X_OK) == 0; }

  // target: "127.0.0.1:18080", scraped at /metrics every second as job "skiff"; the web API on
  // 127.0.0.1:`port`. The caller's folder owns the port (tests/integration/README-ports.md):
  // one below the ephemeral range, so no client socket of a test running beside it can hold it.
  // (A port the kernel picked for a probe socket and released can be taken by anybody's
  // connect() before Prometheus binds it.)
  Prometheus(const std::string& target, uint16_t port) : port_(port) {
    dir_ = fs::temp_directory_path() / ("skiff-prometheus-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "prometheus.yml") << "global:\n"
                                              "  scrape_interval: 1s\n"
                                              "  scrape_timeout: 1s\n"
                                              "  evaluation_interval: 1s\n"
                                              "scrape_configs:\n"
                                              "  - job_name: skiff\n"
                                              "    static_configs:\n"
                                              "      - targets: ['"
                                           << target << "']\n";
    const std::string log = (dir_ / "prometheus.log").string();
    std::vector<std::string> args{kBinary,
                                  "--config.file=" + (dir_ / "prometheus.yml").string(),
                                  "--storage.tsdb.path=" + (dir_ / "data").string(),
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                  "--storage.tsdb.retention.time=1h",
                                  "--log.level=warn"};
    pid_ = spawn_logged(std::move(args), log);
  }
  ~Prometheus() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Prometheus(const Prometheus&) = delete;
  Prometheus& operator=(const Prometheus&) = delete;

  uint16_t port() const { return port_; }
  std::string log() const { return read_file(dir_ / "prometheus.log"); }

  // GET /-/ready answers 200.
  bool wait_ready(std::chrono::milliseconds timeout) const {
    return eventually(
        [&] { return http_get_path("127.0.0.1", port_, "/-/ready", 1000ms).status == 200; },
        timeout);
  }

  // An instant query's result vector, or nullopt if the query failed.
  std::optional<nlohmann::json> query(const std::string& promql) const {
    auto r = http_get_path("127.0.0.1", port_, "/api/v1/query?query=" + url_encode(promql));
    if (r.status != 200) return std::nullopt;
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (!json.is_object() || json.value("status", "") != "success") return std::nullopt;
    return json["data"]["result"];
  }

  // The single value of a scalar-like query (`sum(...)`): nullopt when the result is empty
  // (no such series yet) or the query failed.
  std::optional<double> value(const std::string& promql) const {
    auto result = query(promql);
    if (!result || !result->is_array() || result->size() != 1) return std::nullopt;
    return std::stod((*result)[0]["value"][1].get<std::string>());
  }

  // SIGTERM and a bounded wait, then SIGKILL. Idempotent.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace skiff::test
