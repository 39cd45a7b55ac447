// Small helpers shared by the benchmark's load tools: IPv4 "HOST:PORT" parsing, a monotonic
// clock in seconds, and fatal errors that name the failing call. Header-only so each tool
// builds with one g++ line.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

[[noreturn]] inline void die(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(2);
}

[[noreturn]] inline void die_errno(const std::string& what) {
  die(what + ": " + std::strerror(errno));
}

// "127.0.0.1:9000" -> sockaddr_in; exits with a message on anything else.
inline sockaddr_in parse_endpoint(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) die("expected HOST:PORT, got '" + text + "'");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  const std::string host = text.substr(0, colon);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) die("bad IPv4 address '" + host + "'");
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (end == text.c_str() + colon + 1 || *end != '\0' || port < 1 || port > 65535) {
    die("bad port in '" + text + "'");
  }
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

inline double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Parses a positive integer option value or exits naming the option.
inline long positive(const char* option, const char* value) {
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || n <= 0) {
    die(std::string(option) + " wants a positive integer, got '" + value + "'");
  }
  return n;
}

// The command line of a tool taking "[--seconds S] HOST:PORT...": the seconds (default
// `seconds`) and the addresses in order; anything else, or fewer than `min_addresses`, dies
// with `usage`.
struct SecondsAndAddresses {
  double seconds;
  std::vector<std::string> addresses;
};
inline SecondsAndAddresses parse_seconds_and_addresses(int argc, char** argv, const char* usage,
                                                       double seconds, std::size_t min_addresses) {
  SecondsAndAddresses out{seconds, {}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      out.seconds = static_cast<double>(positive("--seconds", argv[++i]));
    } else if (!arg.empty() && arg[0] != '-') {
      out.addresses.push_back(arg);
    } else {
      die(usage);
    }
  }
  if (out.addresses.size() < min_addresses) die(usage);
  return out;
}

// Raises the soft descriptor limit to the hard one (the tools hold thousands of sockets).
inline void raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace bench
