// Forwarding through a real upstream the test starts on loopback (unbound), with the forwarder's
// cache proven by stopping the upstream; and the skiff_dns_* metrics a scrape shows afterwards.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "dig.h"
#include "dns/responder.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"
#include "web_service.h"

using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::dns::Responder;
using skiff::dns::ResponderOptions;
using skiff::test::dig;
using skiff::test::has_line;
using skiff::test::status_of;

namespace {

// unbound's port, UDP and TCP, this folder's (tests/integration/README-ports.md): below the
// ephemeral range, so no client socket of a test running beside this one can hold it. (A port
// the kernel picked for a probe socket and released can be taken by anybody before unbound
// binds it, and the probe said nothing about the TCP port unbound binds too.)
constexpr uint16_t kUnboundPort = 18554;

bool have(const char* tool) {
  return std::system(("command -v " + std::string(tool) + " >/dev/null 2>&1").c_str()) == 0;
}

// unbound on 127.0.0.1:`port` serving the static zone up.test: web.up.test A 127.1.2.3 (TTL 60),
// NXDOMAIN with the zone's SOA (negative TTL 30) for every other name. Stopped on destruction.
class Unbound {
 public:
  explicit Unbound(uint16_t port) : port_(port) {
    char dir_template[] = "/tmp/skiff-unbound.XXXXXX";
    REQUIRE(::mkdtemp(dir_template));
    dir_ = dir_template;
    std::ofstream(dir_ / "unbound.conf") << "server:\n"
                                         << "  interface: 127.0.0.1\n"
                                         << "  port: " << port << "\n"
                                         << "  num-threads: 1\n"
                                         << "  do-daemonize: no\n"
                                         << "  use-syslog: no\n"
                                         << "  logfile: \"\"\n"
                                         << "  username: \"\"\n"
                                         << "  chroot: \"\"\n"
                                         << "  pidfile: \"\"\n"
                                         << "  directory: \"" << dir_.string() << "\"\n"
                                         << "  do-ip6: no\n"
                                         << "  access-control: 127.0.0.0/8 allow\n"
                                         << "  module-config: \"iterator\"\n"
                                         << "  local-zone: \"up.test.\" static\n"
                                         << "  local-data: \"up.test. 60 IN SOA ns.up.test. "
                                            "hostmaster.up.test. 1 3600 600 86400 30\"\n"
                                         << "  local-data: \"web.up.test. 60 IN A 127.1.2.3\"\n"
                                         << "remote-control:\n"
                                         << "  control-enable: no\n";
    const std::string conf = (dir_ / "unbound.conf").string();
    const std::string log = (dir_ / "unbound.log").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Dies with the test process, so a crashed test leaves no unbound on the folder's port.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execlp("unbound", "unbound", "-d", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready once it answers; bounded.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      if (dig(port_, "+time=1 +tries=1 web.up.test A").find("127.1.2.3") != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // FAIL throws out of the constructor, so the destructor will not stop it: stop it here.
    std::ifstream in(log);
    const std::string log_text{std::istreambuf_iterator<char>(in), {}};
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    FAIL("unbound did not answer on port " << port_ << ": " << log_text);
  }
  ~Unbound() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

 private:
  uint16_t port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

// The value of one series in the exposition text, or -1 when it is not there.
double series(const std::string& text, const std::string& name_and_labels) {
  const std::string escaped =
      std::regex_replace(name_and_labels, std::regex(R"([{}()\[\].+*?^$|\\])"), R"(\$&)");
  std::smatch m;
  if (std::regex_search(text, m, std::regex("(^|\n)" + escaped + " ([0-9.eE+-]+)"))) {
    return std::stod(m[2]);
  }
  return -1;
}

std::shared_ptr<const ServiceTable> web_table() {
  auto t = std::make_shared<ServiceTable>();
  t->version = 1;
  t->services = {skiff::test::web_service()};
  return t;
}

}  // namespace

TEST_CASE(
    "forwarding through unbound: answers and NXDOMAIN stay cached, SERVFAIL when it is gone") {
  if (!have("unbound")) {
    WARN("unbound is not installed (setup.sh test installs it): skipped");
    return;
  }
  const uint16_t upstream_port = kUnboundPort;
  Unbound upstream(upstream_port);

  skiff::metrics::Registry registry;
  ServiceTableSource source;
  source.publish(web_table());
  ResponderOptions o;
  o.port = 0;
  o.forward = true;
  o.upstreams = {"127.0.0.1:" + std::to_string(upstream_port)};
  o.upstream_timeout_ms = 300;
  o.metrics = &registry;
  Responder responder(source, o);
  const auto started = responder.start();
  REQUIRE(started);
  const uint16_t port = responder.udp_port();

  std::string out = dig(port, "web.up.test A");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, "flags: qr rd ra;"));  // from upstream: not authoritative
  CHECK(has_line(out, R"(web\.up\.test\.\s+(60|59)\s+IN\s+A\s+127\.1\.2\.3)"));
  out = dig(port, "nope.up.test A");
  INFO(out);
  CHECK(status_of(out) == "NXDOMAIN");
  CHECK(has_line(out, R"(AUTHORITY SECTION:\nup\.test\.\s+[0-9]+\s+IN\s+SOA)"));

  // With the upstream gone, both answers come from the cache (the NXDOMAIN for its negative
  // TTL, RFC 2308), and a name never asked is SERVFAIL.
  upstream.stop();
  out = dig(port, "web.up.test A");
  INFO(out);
  CHECK(status_of(out) == "NOERROR");
  CHECK(has_line(out, R"(IN\s+A\s+127\.1\.2\.3)"));
  out = dig(port, "NOPE.up.test A");  // the cache matches names case-insensitively
  INFO(out);
  CHECK(status_of(out) == "NXDOMAIN");
  CHECK(has_line(out, R"(up\.test\.\s+[0-9]+\s+IN\s+SOA)"));
  out = dig(port, "+tries=1 +time=5 other.up.test A");
  INFO(out);
  CHECK(status_of(out) == "SERVFAIL");
  // Cluster names are still answered, by the zone itself.
  CHECK(status_of(dig(port, "web.default.svc.cluster.local A")) == "NOERROR");

  const std::string text = skiff::metrics::render(registry);
  INFO(text);
  CHECK(series(text, R"(skiff_dns_cache_hits_total{type="success"})") == 1);
  CHECK(series(text, R"(skiff_dns_cache_hits_total{type="denial"})") == 1);
  CHECK(series(text, "skiff_dns_cache_misses_total") == 3);
  CHECK(series(text, "skiff_dns_cache_entries") == 2);
  CHECK(series(text, "skiff_dns_forward_requests_total") == 3);
  CHECK(series(text, R"(skiff_dns_forward_responses_total{rcode="NOERROR"})") == 1);
  CHECK(series(text, R"(skiff_dns_forward_responses_total{rcode="NXDOMAIN"})") == 1);
  const double errors =
      std::max(0.0, series(text, R"(skiff_dns_forward_errors_total{reason="timeout"})")) +
      std::max(0.0, series(text, R"(skiff_dns_forward_errors_total{reason="refused"})")) +
      std::max(0.0, series(text, R"(skiff_dns_forward_errors_total{reason="other"})"));
  CHECK(errors == 1);
  CHECK(series(text, "skiff_dns_forward_request_duration_seconds_count") == 3);
  CHECK(series(text, R"(skiff_dns_responses_total{rcode="SERVFAIL"})") == 1);
  CHECK(series(text, R"(skiff_dns_responses_total{rcode="NXDOMAIN"})") == 2);
  CHECK(series(text, R"(skiff_dns_requests_total{proto="udp",type="A"})") == 6);
}

TEST_CASE("metrics count requests by protocol and type, responses by rcode, and their durations") {
  skiff::metrics::Registry registry;
  ServiceTableSource source;
  source.publish(web_table());
  ResponderOptions o;
  o.port = 0;
  o.forward = false;
  o.metrics = &registry;
  o.workers = 2;
  Responder responder(source, o);
  REQUIRE(responder.start());
  const uint16_t port = responder.udp_port();

  CHECK(status_of(dig(port, "web.default.svc.cluster.local A")) == "NOERROR");
  CHECK(status_of(dig(port, "web.default.svc.cluster.local AAAA")) == "NOERROR");
  CHECK(status_of(dig(port, "+tcp _http._tcp.web.default.svc.cluster.local SRV")) == "NOERROR");
  CHECK(status_of(dig(port, "nope.default.svc.cluster.local A")) == "NXDOMAIN");
  CHECK(status_of(dig(port, "example.org A")) == "REFUSED");
  CHECK(status_of(dig(port, "-x 127.96.0.10")) == "NOERROR");

  const std::string text = skiff::metrics::render(registry);
  INFO(text);
  CHECK(series(text, R"(skiff_dns_requests_total{proto="udp",type="A"})") == 3);
  CHECK(series(text, R"(skiff_dns_requests_total{proto="udp",type="AAAA"})") == 1);
  CHECK(series(text, R"(skiff_dns_requests_total{proto="udp",type="PTR"})") == 1);
  CHECK(series(text, R"(skiff_dns_requests_total{proto="tcp",type="SRV"})") == 1);
  CHECK(series(text, R"(skiff_dns_responses_total{rcode="NOERROR"})") == 4);
  CHECK(series(text, R"(skiff_dns_responses_total{rcode="NXDOMAIN"})") == 1);
  CHECK(series(text, R"(skiff_dns_responses_total{rcode="REFUSED"})") == 1);
  CHECK(series(text, "skiff_dns_request_duration_seconds_count") == 6);
  CHECK(series(text, R"(skiff_dns_request_duration_seconds_bucket{le="+Inf"})") == 6);
}
