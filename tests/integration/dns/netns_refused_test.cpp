// Access control seen from a real client on another network: a network namespace joined to
// the host by a veth pair on link-local 169.254.77.0/30. Needs root and `ip netns`; otherwise
// the case warns and returns (Catch2 v2 has no SKIP), so the skip shows in the output.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "dns/responder.h"
#include "web_service.h"

using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::controller::ServiceView;
using skiff::dns::Responder;
using skiff::dns::ResponderOptions;

namespace {

constexpr const char* kHostAddress = "169.254.77.1";
constexpr const char* kNsAddress = "169.254.77.2";

struct Ran {
  int status = -1;
  std::string output;
};

// Runs a shell command (bounded by `timeout`) and returns its exit status and output.
Ran run(const std::string& command) {
  const std::string cmd = "timeout 20 " + command + " 2>&1";
  Ran ran;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return ran;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) ran.output += buf.data();
  const int raw = pclose(pipe);
  ran.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return ran;
}

// The namespace and veth pair of one test run, named after the pid so parallel runs and stale
// leftovers of other runs do not collide. The destructor removes both even when a REQUIRE
// failed half way through setup.
class NetnsLink {
 public:
  NetnsLink()
      : ns_("skiffdns" + std::to_string(getpid())),
        host_if_("skdh" + std::to_string(getpid())),
        ns_if_("skdn" + std::to_string(getpid())) {}
  ~NetnsLink() {
    run("ip link del " + host_if_);  // deletes the peer too, if it still exists
    run("ip netns del " + ns_);
  }
  NetnsLink(const NetnsLink&) = delete;
  NetnsLink& operator=(const NetnsLink&) = delete;

  // Creates the namespace and link; returns the first failing command's output, or "".
  std::string create() {
    const std::string in_ns = "ip netns exec " + ns_ + " ";
    const std::string steps[] = {
        "ip netns add " + ns_,
        "ip link add " + host_if_ + " type veth peer name " + ns_if_ + " netns " + ns_,
        "ip addr add " + std::string(kHostAddress) + "/30 dev " + host_if_,
        "ip link set " + host_if_ + " up",
        in_ns + "ip addr add " + std::string(kNsAddress) + "/30 dev " + ns_if_,
        in_ns + "ip link set " + ns_if_ + " up",
        in_ns + "ip link set lo up",
    };
    for (const auto& step : steps) {
      const Ran ran = run(step);
      if (ran.status != 0) return step + ": " + ran.output;
    }
    return "";
  }

  // dig from inside the namespace to the host side of the link.
  std::string dig(uint16_t port, const std::string& name) const {
    return run("ip netns exec " + ns_ + " dig +time=2 +tries=1 @" + kHostAddress + " -p " +
               std::to_string(port) + " " + name + " A")
        .output;
  }

  const std::string& ns() const { return ns_; }

 private:
  std::string ns_;
  std::string host_if_;
  std::string ns_if_;
};

std::string status_of(const std::string& out) {
  std::smatch m;
  if (std::regex_search(out, m, std::regex("status: ([A-Z]+)"))) return m[1];
  return "<no status>";
}

// A fresh link may drop the very first datagram while it comes up; retry a few times, only
// while no answer at all arrived.
std::string dig_answered(const NetnsLink& link, uint16_t port, const std::string& name) {
  std::string out;
  for (int attempt = 0; attempt < 3; ++attempt) {
    out = link.dig(port, name);
    if (status_of(out) != "<no status>") break;
  }
  return out;
}

ServiceView web() { return skiff::test::web_service(); }

ResponderOptions on_link(std::vector<std::string> allowed) {
  ResponderOptions o;
  o.address = kHostAddress;
  o.port = 0;
  o.forward = false;
  o.allowed_cidrs = std::move(allowed);
  return o;
}

// Why this machine cannot run the case, or "" when it can.
std::string unavailable() {
  if (geteuid() != 0) return "not running as root";
  if (run("dig -v").status != 0) return "dig is not installed";
  const std::string probe = "skiffprobe" + std::to_string(getpid());
  const Ran added = run("ip netns add " + probe);
  if (added.status != 0) return "`ip netns add` failed: " + added.output;
  run("ip netns del " + probe);
  return "";
}

}  // namespace

TEST_CASE("a client in another network namespace outside allowed_cidrs gets REFUSED") {
  const std::string why = unavailable();
  if (!why.empty()) {
    WARN("SKIPPED: needs root and `ip netns` (" << why << ")");
    return;
  }
  NetnsLink link;
  const std::string failed = link.create();
  INFO(failed);
  REQUIRE(failed.empty());

  ServiceTableSource source;
  auto t = std::make_shared<ServiceTable>();
  t->version = 1;
  t->services = {web()};
  source.publish(t);

  SECTION("loopback only: REFUSED") {
    Responder responder(source, on_link({"127.0.0.0/8"}));
    const auto started = responder.start();
    INFO((started ? *started : started.error().message));
    REQUIRE(started);
    const std::string out = dig_answered(link, responder.udp_port(), "x.default.svc.cluster.local");
    INFO(out);
    CHECK(status_of(out) == "REFUSED");
  }

  SECTION("the link's range allowed: answered") {
    Responder responder(source, on_link({"127.0.0.0/8", "169.254.77.0/30"}));
    const auto started = responder.start();
    INFO((started ? *started : started.error().message));
    REQUIRE(started);
    std::string out = dig_answered(link, responder.udp_port(), "x.default.svc.cluster.local");
    INFO(out);
    CHECK(status_of(out) == "NXDOMAIN");
    out = dig_answered(link, responder.udp_port(), "web.default.svc.cluster.local");
    INFO(out);
    CHECK(status_of(out) == "NOERROR");
    CHECK(std::regex_search(out, std::regex(R"(IN\s+A\s+127\.96\.0\.10)")));
  }
}
