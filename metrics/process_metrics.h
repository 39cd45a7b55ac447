// The standard process families every Prometheus client exports, read from /proc/self at
// scrape time, plus skiff_build_info. Linux only; a value that cannot be read exports NaN
// rather than failing the scrape.
#pragma once

#include <string_view>

#include "metrics/registry.h"

namespace skiff::metrics {

// Registers, as callback families:
//   process_cpu_seconds_total       counter  user + system CPU time
//   process_resident_memory_bytes   gauge
//   process_virtual_memory_bytes    gauge
//   process_open_fds                gauge
//   process_max_fds                 gauge    soft RLIMIT_NOFILE (+Inf if unlimited)
//   process_start_time_seconds      gauge    since the Unix epoch, computed once here
//   skiff_build_info{version}       gauge    always 1
// Calling it twice on one registry is harmless (the families are shared, callbacks replaced).
void register_process_metrics(Registry& registry, std::string_view version);

}  // namespace skiff::metrics
