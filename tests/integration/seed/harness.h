// Runs the real skiff binary as a user would: `skiff up` in the background, client verbs,
// and plain TCP clients to the Service ports. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace skiff::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Starts args[0] (a path) with args, its stdout and stderr to `log`, and returns its pid (-1 if
// fork failed). The child gets SIGTERM when the test process dies, so a test that crashes never
// leaves a server holding the ports the next run needs.
inline pid_t spawn_logged(std::vector<std::string> args, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line, bounded by `timeout` (the command is killed past it).
inline CommandResult run(const std::string& command, std::chrono::seconds timeout = 60s) {
  const std::string line =
      "timeout -s KILL " + std::to_string(timeout.count()) + " " + command + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(line.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string skiff_binary() { return SKIFF_BINARY; }
inline fs::path source_dir() { return SKIFF_SOURCE_DIR; }

// Polls `condition` every 100 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

// One HTTP/1.0 GET over a fresh TCP connection; returns the body ("" on any failure).
inline std::string http_get(const std::string& ip, uint16_t port,
                            std::chrono::milliseconds timeout = 3000ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
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
    const std::string req = "GET / HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// `skiff up` in the background with its own API port, node address, pod range and state
// directory, so test cases never share a port or an address. Folders run side by side under
// ctest -j: take every value from your folder's block in tests/integration/README-ports.md (and
// add a new folder's block there); the defaults below are shared by every test that keeps them.
class Daemon {
 public:
  struct Options {
    std::vector<std::string> files;
    uint16_t api_port = 18080;
    std::string node_address = "127.0.0.1";
    std::string pod_cidr = "127.245.0.0/24";
    std::string backoff = "300ms";
    std::string service_cidr;  // "": 127.100.<api_port % 250>.0/24
  };

  explicit Daemon(Options o) : options_(std::move(o)) {
    state_ = fs::temp_directory_path() /
             ("skiff-test-" + std::to_string(::getpid()) + "-" + std::to_string(options_.api_port));
    fs::remove_all(state_);
    fs::create_directories(state_);
    log_ = state_ / "daemon.log";
  }
  ~Daemon() {
    stop();
    std::error_code ec;
    fs::remove_all(state_, ec);
  }

  const fs::path& state_dir() const { return state_; }
  std::string server() const { return "127.0.0.1:" + std::to_string(options_.api_port); }
  std::string log() const { return read_file(log_); }

  // `skiff build` into this daemon's state directory.
  CommandResult build(const std::string& tag, const fs::path& dir) const {
    return run(skiff_binary() + " build -t " + tag + " " + dir.string() + " --state-dir " +
               state_.string());
  }

  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{skiff_binary(), options_.files.empty() ? "daemon" : "up"};
    for (const auto& f : options_.files) {
      args.push_back("-f");
      args.push_back(f);
    }
    args.insert(
        args.end(),
        {"--api-addr", server(), "--state-dir", state_.string(), "--node-address",
         options_.node_address, "--pod-cidr", options_.pod_cidr, "--restart-backoff",
         options_.backoff, "--proxy-workers", "2", "--dns-addr", options_.node_address + ":5353",
         // ClusterIPs of its own: two daemons allocate the same first addresses from one
         // range, and SO_REUSEPORT listeners of one user share a port without an error.
         "--service-cidr",
         options_.service_cidr.empty()
             ? "127.100." + std::to_string(options_.api_port % 250) + ".0/24"
             : options_.service_cidr});
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = spawn_logged(std::move(args), log_);
  }

  // Waits until the daemon printed "is ready at" for `count` Service addresses.
  bool wait_ready(std::chrono::milliseconds timeout = 60000ms) const {
    return eventually([&] { return log().find("is ready at") != std::string::npos; }, timeout);
  }

  // Sends SIGINT (Ctrl-C) and waits for the exit code; -1 if it had to be killed.
  int stop(std::chrono::milliseconds timeout = 30000ms) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGINT);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
      }
      std::this_thread::sleep_for(50ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return exit_code_ = -1;
  }

  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

  CommandResult skiff(const std::string& args) const {
    return run(skiff_binary() + " " + args + " --server " + server());
  }

  nlohmann::json get_json(const std::string& what) const {
    auto r = skiff("get " + what + " -o json");
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

 private:
  Options options_;
  fs::path state_;
  fs::path log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

inline bool process_alive(int pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// The ready addresses of Endpoints `name`, over all its subsets.
inline size_t endpoint_count(const Daemon& d, const std::string& name) {
  auto ep = d.get_json("endpoints " + name);
  size_t n = 0;
  if (!ep.is_object()) return 0;
  for (const auto& s : ep.value("subsets", nlohmann::json::array())) {
    n += s.value("addresses", nlohmann::json::array()).size();
  }
  return n;
}

}  // namespace skiff::test
