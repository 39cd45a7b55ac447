// Parsing of the Linux /proc files the process metrics read. Pure, so the field positions and
// the awkward cases (a command name with spaces or parentheses) are unit-tested on fixed text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace skiff::metrics {

// The fields of /proc/<pid>/stat (proc(5)) the process metrics use.
struct ProcStat {
  std::uint64_t utime_ticks = 0;  // field 14, user CPU in clock ticks
  std::uint64_t stime_ticks = 0;  // field 15, system CPU in clock ticks
  std::uint64_t start_ticks = 0;  // field 22, start time in clock ticks after boot
  std::uint64_t vsize_bytes = 0;  // field 23
  std::uint64_t rss_pages = 0;    // field 24
};

// nullopt if the text is not a stat line (truncated, no "(comm)", non-numeric fields). The
// command name may hold spaces and ')' itself, so fields are counted after the last ')'.
std::optional<ProcStat> parse_proc_pid_stat(std::string_view text);

// The "btime" line of /proc/stat: boot time in seconds since the epoch. nullopt if absent.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

}  // namespace skiff::metrics
