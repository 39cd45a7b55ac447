// The daemon's /metrics as operators consume it: Prometheus' own linter accepts the real
// output with every family present, and a real Prometheus server scraping the daemon every
// second sees the proxy and DNS counters rise by exactly the traffic the test sent.
#include "tests/integration/metrics/prometheus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;

namespace {

// This folder's ports and addresses (tests/integration/README-ports.md): API 18371, Prometheus
// 18372, node 127.0.0.171, pods 127.245.171.0/24, ClusterIPs 127.100.121.0/24 (the harness's).
constexpr uint16_t kApiPort = 18371;
constexpr uint16_t kPrometheusPort = 18372;
constexpr const char* kNode = "127.0.0.171";
const fs::path kWhoami = source_dir() / "tests/integration/seed/whoami";
const fs::path kManifest = source_dir() / "tests/integration/metrics/echo.yaml";

Daemon::Options echo_options() {
  Daemon::Options o;
  o.files = {kManifest.string()};
  o.api_port = kApiPort;
  o.node_address = kNode;
  o.pod_cidr = "127.245.171.0/24";
  return o;
}

std::string scrape(const Daemon&) {
  auto r = http_get_path("127.0.0.1", kApiPort, "/metrics");
  return r.status == 200 ? r.body : "";
}

// The families in an exposition: the names of its `# TYPE` lines.
std::set<std::string> families_in(const std::string& text) {
  std::set<std::string> names;
  size_t pos = 0;
  while ((pos = text.find("# TYPE ", pos)) != std::string::npos) {
    pos += 7;
    names.insert(text.substr(pos, text.find(' ', pos) - pos));
  }
  return names;
}

// One standard DNS query for `name` type A over UDP; true when an answer with the query's id
// came back within the timeout.
bool dns_query(const std::string& server, uint16_t port, const std::string& name, uint16_t id) {
  std::string packet;
  packet += static_cast<char>(id >> 8);
  packet += static_cast<char>(id & 0xff);
  packet += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, one question
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    packet += static_cast<char>(dot - start);
    packet += name.substr(start, dot - start);
    start = dot + 1;
  }
  packet += std::string("\x00\x00\x01\x00\x01", 5);  // root, type A, class IN

  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, server.c_str(), &addr.sin_addr);
  bool answered = false;
  if (::sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&addr),
               sizeof addr) == static_cast<ssize_t>(packet.size())) {
    unsigned char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    answered = n >= 12 && buf[0] == (id >> 8) && buf[1] == (id & 0xff) && (buf[2] & 0x80);
  }
  ::close(fd);
  return answered;
}

// Waits until Prometheus reports `promql` equal to what skiff's own /metrics says now (so the
// scrape has caught up), and returns that value; nullopt past the timeout.
std::optional<double> settled(const Prometheus& prometheus, const std::string& promql,
                              const std::function<double()>& direct) {
  std::optional<double> seen;
  const bool ok = eventually(
      [&] {
        const double want = direct();
        seen = prometheus.value(promql).value_or(0.0);
        return *seen == want;
      },
      30000ms);
  return ok ? seen : std::nullopt;
}

// Sums the samples of `family` in an exposition whose label set contains `label_filter` (e.g.
// `service="echo"`; empty: all).
double sum_samples(const std::string& text, const std::string& family,
                   const std::string& label_filter = {}) {
  double total = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    if (!label_filter.empty() && line.find(label_filter) == std::string::npos) continue;
    total += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return total;
}

double le_value(const std::string& le) {
  return le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
}

}  // namespace

TEST_CASE("Prometheus scraping the daemon sees exactly the proxied requests and DNS queries") {
  if (!Prometheus::installed()) {
    FAIL("/usr/bin/prometheus is missing: run setup.sh test (apt-get install prometheus)");
  }
  Daemon d(echo_options());
  REQUIRE(d.build("whoami:test", kWhoami).exit_code == 0);
  d.start();
  INFO(d.log());
  REQUIRE(d.wait_ready(90000ms));

  Prometheus prometheus("127.0.0.1:" + std::to_string(kApiPort), kPrometheusPort);
  INFO(prometheus.log());
  REQUIRE(prometheus.wait_ready(60000ms));
  REQUIRE(eventually([&] { return prometheus.value("up{job=\"skiff\"}") == 1.0; }, 30000ms));

  const std::string connections = "sum(skiff_proxy_connections_total{service=\"echo\"})";
  const std::string dns_requests = "sum(skiff_dns_requests_total)";
  auto direct_connections = [&] {
    return sum_samples(scrape(d), "skiff_proxy_connections_total", "service=\"echo\"");
  };
  auto direct_dns = [&] { return sum_samples(scrape(d), "skiff_dns_requests_total"); };

  const auto connections_before = settled(prometheus, connections, direct_connections);
  REQUIRE(connections_before);
  const auto dns_before = settled(prometheus, dns_requests, direct_dns);
  REQUIRE(dns_before);

  constexpr int kRequests = 40;
  constexpr int kQueries = 25;
  int answered_requests = 0;
  for (int i = 0; i < kRequests; ++i) {
    if (http_get(kNode, 6000).find("pod=echo-") != std::string::npos) ++answered_requests;
  }
  REQUIRE(answered_requests == kRequests);
  int answered_queries = 0;
  for (int i = 0; i < kQueries; ++i) {
    if (dns_query(kNode, 5353, "echo.default.svc.cluster.local", static_cast<uint16_t>(i + 1))) {
      ++answered_queries;
    }
  }
  REQUIRE(answered_queries == kQueries);

  // Exactly: the value reaches before + n and, two scrapes later, is still there.
  std::optional<double> seen;
  CHECK(eventually(
      [&] {
        seen = prometheus.value(connections);
        return seen && *seen >= *connections_before + kRequests;
      },
      30000ms));
  CHECK(seen == *connections_before + kRequests);
  CHECK(eventually(
      [&] {
        seen = prometheus.value(dns_requests);
        return seen && *seen >= *dns_before + kQueries;
      },
      30000ms));
  CHECK(seen == *dns_before + kQueries);
  std::this_thread::sleep_for(2500ms);  // two more scrapes: nothing else was counted
  CHECK(prometheus.value(connections) == *connections_before + kRequests);
  CHECK(prometheus.value(dns_requests) == *dns_before + kQueries);

  // Every histogram Prometheus holds: per series (all labels but le) the buckets are
  // cumulative, non-decreasing in le, end in +Inf, and +Inf equals _count.
  auto buckets = prometheus.query("{__name__=~\"skiff_.+_bucket\"}");
  REQUIRE(buckets);
  REQUIRE(buckets->size() > 0);
  std::map<std::string, std::vector<std::pair<double, double>>> series;  // key -> (le, value)
  for (const auto& sample : *buckets) {
    nlohmann::json labels = sample["metric"];
    const std::string le = labels.value("le", "");
    REQUIRE_FALSE(le.empty());
    labels.erase("le");
    series[labels.dump()].emplace_back(le_value(le),
                                       std::stod(sample["value"][1].get<std::string>()));
  }
  bool some_observed = false;
  for (auto& [key, points] : series) {
    INFO(key);
    std::sort(points.begin(), points.end());
    REQUIRE(std::isinf(points.back().first));
    for (size_t i = 1; i < points.size(); ++i) CHECK(points[i].second >= points[i - 1].second);
    auto labels = nlohmann::json::parse(key);
    std::string name = labels["__name__"];
    name.replace(name.size() - 7, 7, "_count");
    std::string selector = name + "{";
    bool first = true;
    for (const auto& [k, v] : labels.items()) {
      if (k == "__name__") continue;
      selector += (first ? "" : ",") + k + "=\"" + v.get<std::string>() + "\"";
      first = false;
    }
    selector += "}";
    auto count = prometheus.query(selector);
    REQUIRE(count);
    REQUIRE(count->size() == 1);
    CHECK(std::stod((*count)[0]["value"][1].get<std::string>()) == points.back().second);
    if (points.back().second > 0) some_observed = true;
  }
  CHECK(some_observed);
  // The controller's latency histograms saw the echo pods come up.
  CHECK(prometheus.value("skiff_controller_network_programming_duration_seconds_count") >= 2.0);
  CHECK(prometheus.value("sum(skiff_controller_reconciles_total)") > 0.0);

  prometheus.stop();
  CHECK(d.stop() == 0);
}

TEST_CASE("promtool accepts the real daemon's /metrics, with every family present") {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    FAIL("promtool is missing: run setup.sh test (apt-get install prometheus)");
  }
  Daemon d(echo_options());
  REQUIRE(d.build("whoami:test", kWhoami).exit_code == 0);
  d.start();
  INFO(d.log());
  REQUIRE(d.wait_ready(90000ms));
  // Traffic through every subsystem, and a watch client, so per-Service children exist.
  REQUIRE(http_get(kNode, 6000).find("pod=echo-") != std::string::npos);
  REQUIRE(dns_query(kNode, 5353, "echo.default.svc.cluster.local", 7));
  // The crashing pod has restarted at least once.
  REQUIRE(eventually(
      [&] {
        return sum_samples(scrape(d), "skiff_controller_container_restarts_total") >= 1 &&
               sum_samples(scrape(d), "skiff_controller_pod_failures_total") >= 1;
      },
      30000ms));

  const std::string text = scrape(d);
  REQUIRE_FALSE(text.empty());
  const auto families = families_in(text);
  for (const char* family : {
           "process_cpu_seconds_total",
           "process_resident_memory_bytes",
           "process_open_fds",
           "process_start_time_seconds",
           "skiff_build_info",
           "skiff_proxy_connections_total",
           "skiff_dns_requests_total",
           "skiff_dns_responses_total",
           "skiff_controller_reconciles_total",
           "skiff_controller_reconcile_duration_seconds",
           "skiff_controller_workqueue_adds_total",
           "skiff_controller_workqueue_depth",
           "skiff_controller_objects",
           "skiff_controller_pod_starts_total",
           "skiff_controller_container_starts_total",
           "skiff_controller_container_restarts_total",
           "skiff_controller_pod_failures_total",
           "skiff_controller_service_table_sync_duration_seconds",
           "skiff_controller_service_table_last_published_timestamp_seconds",
           "skiff_controller_network_programming_duration_seconds",
           "skiff_api_requests_total",
           "skiff_api_watch_clients",
       }) {
    INFO(family);
    CHECK(families.count(family) == 1);
  }
  // Families by prefix, whatever their owners named them: the proxy and DNS export more than
  // the pinned counters (latency histograms, bytes, cache).
  auto with_prefix = [&](const std::string& prefix) {
    return std::count_if(families.begin(), families.end(),
                         [&](const std::string& f) { return f.rfind(prefix, 0) == 0; });
  };
  CHECK(with_prefix("skiff_proxy_") >= 3);
  CHECK(with_prefix("skiff_dns_") >= 3);

  const fs::path file = d.state_dir() / "metrics.txt";
  std::ofstream(file) << text;
  const auto checked = run("promtool check metrics < " + file.string());
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK(d.stop() == 0);
}
