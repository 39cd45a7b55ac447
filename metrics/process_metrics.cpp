#include "metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>

#include "metrics/proc_stat.h"

namespace skiff::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// /proc files report size 0, so read them as a stream rather than by size.
std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

std::optional<ProcStat> read_self_stat() {
  const auto text = read_file("/proc/self/stat");
  if (!text) return std::nullopt;
  return parse_proc_pid_stat(*text);
}

double clock_ticks_per_second() {
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;  // 100: USER_HZ on every Linux arch
}

double page_size() {
  const long size = sysconf(_SC_PAGESIZE);
  return size > 0 ? static_cast<double>(size) : 4096.0;
}

double cpu_seconds() {
  const auto stat = read_self_stat();
  if (!stat) return kNaN;
  return static_cast<double>(stat->utime_ticks + stat->stime_ticks) / clock_ticks_per_second();
}

double resident_bytes() {
  const auto stat = read_self_stat();
  return stat ? static_cast<double>(stat->rss_pages) * page_size() : kNaN;
}

double virtual_bytes() {
  const auto stat = read_self_stat();
  return stat ? static_cast<double>(stat->vsize_bytes) : kNaN;
}

double open_fds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return kNaN;
  double count = 0;
  // Bounded by the fd limit; the iterator's own descriptor is counted, as in the Go client.
  for (const std::filesystem::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return kNaN;
    ++count;
  }
  return count;
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kNaN;
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(limit.rlim_cur);
}

double start_time_seconds() {
  const auto stat = read_self_stat();
  const auto proc_stat = read_file("/proc/stat");
  const auto boot = proc_stat ? parse_boot_time(*proc_stat) : std::nullopt;
  if (!stat || !boot) return kNaN;
  return static_cast<double>(*boot) +
         static_cast<double>(stat->start_ticks) / clock_ticks_per_second();
}

}  // namespace

void register_process_metrics(Registry& registry, std::string_view version) {
  registry
      .callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                MetricType::kCounter)
      .set({}, cpu_seconds);
  registry
      .callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                MetricType::kGauge)
      .set({}, resident_bytes);
  registry
      .callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge)
      .set({}, virtual_bytes);
  registry.callback("process_open_fds", "Number of open file descriptors.", MetricType::kGauge)
      .set({}, open_fds);
  registry
      .callback("process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge)
      .set({}, max_fds);
  const double start = start_time_seconds();
  registry
      .callback("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.", MetricType::kGauge)
      .set({}, [start] { return start; });
  registry
      .callback("skiff_build_info",
                "A metric with a constant '1' value labeled by the skiff "
                "version it was built from.",
                MetricType::kGauge, {"version"})
      .set({std::string(version)}, [] { return 1.0; });
}

}  // namespace skiff::metrics
