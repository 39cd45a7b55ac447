#include "metrics/process_metrics.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <map>

#include "metrics/exposition.h"
#include "metrics/proc_stat.h"

namespace skiff::metrics {
namespace {

// A real line from proc(5) shape, with a command name holding spaces and parentheses.
constexpr std::string_view kStatLine =
    "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 1500 0 0 0 250 75 0 0 20 0 3 0 123456 "
    "987654321 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST_CASE("/proc/<pid>/stat fields are read after the last parenthesis", "[process]") {
  const auto stat = parse_proc_pid_stat(kStatLine);
  REQUIRE(stat);
  CHECK(stat->utime_ticks == 250);
  CHECK(stat->stime_ticks == 75);
  CHECK(stat->start_ticks == 123456);
  CHECK(stat->vsize_bytes == 987654321);
  CHECK(stat->rss_pages == 2048);
}

TEST_CASE("malformed /proc/<pid>/stat text is refused, not misread", "[process]") {
  CHECK_FALSE(parse_proc_pid_stat(""));
  CHECK_FALSE(parse_proc_pid_stat("4242 no parens S 1 2 3"));
  CHECK_FALSE(parse_proc_pid_stat("4242 (short) S 1 2 3 4 5"));
  CHECK_FALSE(parse_proc_pid_stat(
      "1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 75 0 0 20 0 3 0 1 2 3 0 0 0 0 0 0 0 0 0"));
}

TEST_CASE("btime is found in /proc/stat", "[process]") {
  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1700000000u);
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));
  CHECK_FALSE(parse_boot_time("btime x\n"));
}

std::map<std::string, double> values_of(const Registry& registry) {
  std::map<std::string, double> values;
  for (const FamilySnapshot& family : registry.collect()) {
    for (const ChildSnapshot& child : family.children) values[family.name] = child.value;
  }
  return values;
}

TEST_CASE("process metrics are present and plausible for this process", "[process]") {
  Registry registry;
  register_process_metrics(registry, "0.1.0-test");
  auto values = values_of(registry);
  CHECK(values.size() == 7);
  CHECK(values.at("process_open_fds") >= 3);  // at least stdin, stdout, stderr
  CHECK(values.at("process_open_fds") <= values.at("process_max_fds"));
  CHECK(values.at("process_resident_memory_bytes") > 1024 * 1024);
  CHECK(values.at("process_virtual_memory_bytes") >= values.at("process_resident_memory_bytes"));
  CHECK(values.at("process_cpu_seconds_total") >= 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Started in the past, and within the last day (a test binary does not live longer).
  CHECK(values.at("process_start_time_seconds") <= now + 1);
  CHECK(values.at("process_start_time_seconds") > now - 86400);
  CHECK(values.at("skiff_build_info") == 1);

  // Opening a descriptor shows on the next scrape.
  const double before = values.at("process_open_fds");
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  CHECK(values_of(registry).at("process_open_fds") == before + 2);
  close(fds[0]);
  close(fds[1]);

  const std::string text = render(registry);
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(text.find("\nskiff_build_info{version=\"0.1.0-test\"} 1\n") != std::string::npos);
}

TEST_CASE("CPU time grows with work", "[process]") {
  Registry registry;
  register_process_metrics(registry, "t");
  const double before = values_of(registry).at("process_cpu_seconds_total");
  // Burn CPU until the counter moves (clock-tick granularity, 10 ms), at most 5 s of wall time
  // so a loaded machine cannot hang the test.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  volatile double sink = 0;
  double after = before;
  while (after <= before && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 100000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
    after = values_of(registry).at("process_cpu_seconds_total");
  }
  CHECK(after > before);
}

}  // namespace
}  // namespace skiff::metrics
