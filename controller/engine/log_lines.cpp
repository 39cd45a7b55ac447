#include "controller/engine/log_lines.h"

#include <fmt/format.h>
#include <time.h>

#include <vector>

namespace skiff::controller::engine {

std::string log_time(LogClock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch());
  auto secs = std::chrono::floor<std::chrono::seconds>(ns);
  const auto frac = (ns - secs).count();
  const time_t tt = static_cast<time_t>(secs.count());
  struct tm tm {};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

void LogLineFilter::feed(std::string_view data, uint64_t offset,
                         const std::function<LogClock::time_point(uint64_t)>& time_of,
                         std::string& out) {
  if (!active()) {
    out.append(data);
    return;
  }
  size_t pos = 0;
  while (pos < data.size()) {
    if (line_start_) {
      const auto t = time_of(offset + pos);
      keep_ = !since_ || t >= *since_;
      if (keep_ && timestamps_) {
        out += log_time(t);
        out += ' ';
      }
      line_start_ = false;
    }
    const size_t nl = data.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? data.size() : nl + 1;
    if (keep_) out.append(data.substr(pos, end - pos));
    if (nl != std::string_view::npos) line_start_ = true;
    pos = end;
  }
}

uint64_t tail_start(uint64_t size, uint64_t lines, const ReadAt& read_at) {
  if (lines == 0) return size;
  constexpr size_t kBlock = 64 * 1024;
  std::vector<char> block(kBlock);
  uint64_t end = size;
  uint64_t found = 0;
  bool last_byte = true;  // the source's final byte: a newline there ends, not starts, a line
  while (end > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, end));
    const uint64_t start = end - want;
    size_t got = 0;
    while (got < want) {
      const ssize_t n = read_at(block.data() + got, want - got, start + got);
      if (n <= 0) return 0;
      got += static_cast<size_t>(n);
    }
    for (size_t i = want; i-- > 0;) {
      if (block[i] != '\n') {
        last_byte = false;
        continue;
      }
      if (last_byte) {
        last_byte = false;
        continue;
      }
      if (++found == lines) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

}  // namespace skiff::controller::engine
