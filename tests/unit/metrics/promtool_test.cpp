// Proves the exposition with Prometheus' own parser and linter, `promtool check metrics`.
// Skipped with a warning where promtool is not installed (apt-get install prometheus).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"

namespace skiff::metrics {
namespace {

bool have_promtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// Runs promtool on the text through a temporary file; its output is bounded by the input size.
CheckResult promtool_check(const std::string& text) {
  char path[] = "/tmp/skiff_metrics_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << text;
  CheckResult result;
  const std::string command = std::string("timeout 60 promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path);
  return result;
}

TEST_CASE("promtool accepts the exposition of a populated registry", "[promtool]") {
  if (!have_promtool()) {
    WARN("promtool not installed; skipping (apt-get install prometheus)");
    return;
  }
  Registry registry;
  register_process_metrics(registry, "0.1.0");
  auto& sessions =
      registry.counter("skiff_proxy_sessions_total", "TCP sessions accepted.", {"service", "port"});
  sessions.with({"default/web", "6000"}).inc(12);
  sessions.with({"kube-system/dns \"x\"\\\n", "53"}).inc();
  registry.gauge("skiff_proxy_open_sessions", "Sessions open now.\nBy \\ everything.")
      .with({})
      .set(3);
  registry.gauge("skiff_temperature_celsius", "Odd values.", {"kind"})
      .with({"nan"})
      .set(std::numeric_limits<double>::quiet_NaN());
  registry.gauge("skiff_temperature_celsius", "Odd values.", {"kind"})
      .with({"inf"})
      .set(-std::numeric_limits<double>::infinity());
  auto& latency = registry.histogram("skiff_proxy_connect_duration_seconds",
                                     "Time to connect to a pod.", {"service"});
  for (double v : {0.0001, 0.005, 0.3, 2.0, 50.0}) latency.with({"default/web"}).observe(v);
  registry.histogram("skiff_dns_response_size_bytes", "DNS response sizes.", {},
                     exponential_buckets(64, 2, 8));

  const CheckResult result = promtool_check(render(registry));
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("error") == std::string::npos);
}

TEST_CASE("promtool rejects broken text, so the check above can fail", "[promtool]") {
  if (!have_promtool()) {
    WARN("promtool not installed; skipping (apt-get install prometheus)");
    return;
  }
  const CheckResult result = promtool_check("# TYPE x counter\nx{a=\"unterminated} 1\n");
  INFO(result.output);
  CHECK(result.exit_code != 0);
}

}  // namespace
}  // namespace skiff::metrics
