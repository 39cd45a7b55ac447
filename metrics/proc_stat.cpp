#include "metrics/proc_stat.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace skiff::metrics {
namespace {

std::optional<std::uint64_t> parse_u64(std::string_view token) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || ptr != token.data() + token.size() || token.empty()) {
    return std::nullopt;
  }
  return value;
}

// Splits on runs of spaces; stops after max_tokens.
template <std::size_t N>
std::size_t split(std::string_view text, std::array<std::string_view, N>& tokens) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (count < N) {
    pos = text.find_first_not_of(" \n", pos);
    if (pos == std::string_view::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \n", pos), text.size());
    tokens[count++] = text.substr(pos, end - pos);
    pos = end;
  }
  return count;
}

}  // namespace

std::optional<ProcStat> parse_proc_pid_stat(std::string_view text) {
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos || text.find('(') > close) return std::nullopt;
  // Tokens after "(comm)" start at field 3 (state); we need up to field 24 (rss).
  std::array<std::string_view, 22> fields;
  if (split(text.substr(close + 1), fields) < fields.size()) return std::nullopt;
  const auto field = [&](int number) { return parse_u64(fields[number - 3]); };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    std::size_t end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    const std::string_view line = proc_stat.substr(pos, end - pos);
    if (line.starts_with("btime ")) {
      std::string_view value = line.substr(6);
      value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
      return parse_u64(value);
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace skiff::metrics
