// Pure pieces of serving container logs: the API server's line time stamps, the sinceTime
// cut, and where the last N lines of a file begin. No I/O of their own (tail_start reads
// through the function it is given), so they are unit-tested directly.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::controller::engine {

using LogClock = std::chrono::system_clock;

// t as the kubelet stamps log lines with timestamps=true: RFC 3339, UTC, nine fraction digits
// ("2026-11-26T09:15:00.123456789Z"), fixed width so stamped lines stay aligned.
std::string log_time(LogClock::time_point t);

// Applies sinceTime and timestamps to a byte stream without holding any of it: a line is
// judged (and stamped) by the time of its first byte, and the rest of it follows that verdict
// as it arrives, so a line that never ends costs no memory.
class LogLineFilter {
 public:
  LogLineFilter(std::optional<LogClock::time_point> since, bool timestamps)
      : since_(since), timestamps_(timestamps) {}

  // Whether the filter changes anything (else bytes may be passed on as they are).
  bool active() const { return since_.has_value() || timestamps_; }

  // Appends to `out` what is kept of `data`, the bytes at [offset, offset + size) of the
  // source; time_of(o) is the time the byte at offset o was written.
  void feed(std::string_view data, uint64_t offset,
            const std::function<LogClock::time_point(uint64_t)>& time_of, std::string& out);

 private:
  std::optional<LogClock::time_point> since_;
  bool timestamps_;
  bool line_start_ = true;
  bool keep_ = true;
};

// Reads up to `size` bytes at `offset` into buffer; the count, or -1 on error (pread's shape).
using ReadAt = std::function<ssize_t(char* buffer, size_t size, uint64_t offset)>;

// The offset at which the last `lines` lines of the first `size` bytes of a source begin (a
// final newline does not start another line; an unfinished last line counts as one). Reads
// backwards in blocks, so only the tail is touched however large the source is. 0 when the
// source has no more lines than that, or a read fails.
uint64_t tail_start(uint64_t size, uint64_t lines, const ReadAt& read_at);

}  // namespace skiff::controller::engine
