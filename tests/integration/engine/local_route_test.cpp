// The AnyIP route for a service CIDR and the claim that keeps two daemons off one range. Needs
// root (CAP_NET_ADMIN): skipped, visibly, without it. The range 10.254.240.0/24 is this file's.
#include "controller/engine/local_route.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <string>

using skiff::controller::engine::LocalRoute;

namespace {

constexpr const char* kCidr = "10.254.240.0/24";

// What `ip route show table local CIDR` prints ("" when there is no such route).
std::string local_routes(const std::string& cidr) {
  std::string out;
  const std::string command = "ip route show table local " + cidr + " 2>&1";
  if (FILE* p = ::popen(command.c_str(), "r")) {
    std::array<char, 256> buf{};
    while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
    ::pclose(p);
  }
  return out;
}

}  // namespace

TEST_CASE("a service CIDR is claimed by one daemon at a time and its route goes with it",
          "[engine][integration][route]") {
  if (::geteuid() != 0) {
    WARN("skipped: making a route local needs root");
    return;
  }
  {
    auto first = LocalRoute::add(kCidr);
    REQUIRE(first);
    CHECK((*first)->owned());
    CHECK(local_routes(kCidr).find("proto 83") != std::string::npos);

    // A second claim on the range fails with the holder's pid, and leaves the route alone.
    auto second = LocalRoute::add(kCidr);
    REQUIRE_FALSE(second);
    CHECK(second.error().message.find("used by another skiff daemon (pid " +
                                      std::to_string(::getpid()) + ")") != std::string::npos);
    CHECK(second.error().message.find("--service-cidr") != std::string::npos);
    CHECK(local_routes(kCidr).find("proto 83") != std::string::npos);

    // Another process too (flock holds across processes, not only descriptors).
    const pid_t child = ::fork();
    if (child == 0) ::_exit(LocalRoute::add(kCidr) ? 1 : 0);
    int status = 0;
    ::waitpid(child, &status, 0);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  // The first daemon's exit removed the route and gave up the claim: the range is free again.
  CHECK(local_routes(kCidr).empty());
  auto again = LocalRoute::add(kCidr);
  REQUIRE(again);
  CHECK((*again)->owned());
  again->reset();
  CHECK(local_routes(kCidr).empty());
}
