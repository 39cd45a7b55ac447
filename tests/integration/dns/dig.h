// dig, the client the DNS integration tests see answers through, and readers of its output.
#pragma once

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>

namespace skiff::test {

// Runs dig against 127.0.0.1:`port` with a hard time bound and returns what it printed.
inline std::string dig(uint16_t port, const std::string& args) {
  const std::string cmd = "timeout 20 dig @127.0.0.1 -p " + std::to_string(port) +
                          " +time=2 +tries=2 " + args + " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  return out;
}

inline std::string status_of(const std::string& out) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex("status: ([A-Z]+)"))) return m[1];
  return "<no status>";
}

inline int count_of(const std::string& out, const std::string& section) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex(section + ": ([0-9]+)"))) return std::stoi(m[1]);
  return -1;
}

inline bool has_line(const std::string& out, const std::string& pattern) {
  return std::regex_search(out, std::regex(pattern));
}

}  // namespace skiff::test
