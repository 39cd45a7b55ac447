#include "controller/engine/log_time_index.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace skiff::controller::engine {
namespace fs = std::filesystem;
namespace asio = boost::asio;

LogTimes LogTimes::parse(std::string_view text) {
  LogTimes out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) break;  // an unfinished last line: not trusted
    const std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    uint64_t size = 0;
    int64_t nanos = 0;
    auto a = std::from_chars(line.data(), line.data() + space, size);
    auto b = std::from_chars(line.data() + space + 1, line.data() + line.size(), nanos);
    if (a.ec != std::errc() || b.ec != std::errc() || a.ptr != line.data() + space ||
        b.ptr != line.data() + line.size()) {
      continue;
    }
    if (!out.entries_.empty() && size <= out.entries_.back().first) continue;
    out.entries_.emplace_back(
        size, LogClock::time_point(
                  std::chrono::duration_cast<LogClock::duration>(std::chrono::nanoseconds(nanos))));
  }
  return out;
}

std::optional<LogClock::time_point> LogTimes::at(uint64_t offset) const {
  // The first entry whose size covers the byte, i.e. size > offset.
  auto it = std::upper_bound(entries_.begin(), entries_.end(), offset,
                             [](uint64_t o, const auto& e) { return o < e.first; });
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

fs::path times_path(const fs::path& log) {
  fs::path p = log;
  p += ".times";
  return p;
}

std::function<LogClock::time_point(uint64_t)> log_time_of(const fs::path& log) {
  std::ifstream in(times_path(log), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto times = std::make_shared<LogTimes>(LogTimes::parse(text.str()));
  return [times](uint64_t offset) { return times->at(offset).value_or(LogClock::now()); };
}

LogTimeIndex::~LogTimeIndex() {
  *alive_ = false;
  for (auto& [wd, e] : by_wd_) {
    if (e.times_fd >= 0) ::close(e.times_fd);
  }
}

void LogTimeIndex::watch(const fs::path& log) {
  if (!inotify_) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      spdlog::warn("process engine: no log times (inotify: {})", std::strerror(errno));
      return;
    }
    inotify_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    read_events();
  }
  const int wd = ::inotify_add_watch(inotify_->native_handle(), log.c_str(), IN_MODIFY);
  if (wd < 0) {
    spdlog::warn("process engine: no log times for {}: {}", log.string(), std::strerror(errno));
    return;
  }
  if (by_wd_.contains(wd)) return;  // already recorded (the same file)
  const int times_fd =
      ::open(times_path(log).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (times_fd < 0) {
    ::inotify_rm_watch(inotify_->native_handle(), wd);
    spdlog::warn("process engine: no log times for {}: {}", log.string(), std::strerror(errno));
    return;
  }
  Entry e;
  e.log = log;
  e.times_fd = times_fd;
  e.wd = wd;
  // Continue after what an earlier daemon recorded for this run.
  e.recorded = 0;
  struct stat st {};
  if (::stat(times_path(log).c_str(), &st) == 0 && st.st_size > 0) {
    std::ifstream in(times_path(log), std::ios::binary);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    uint64_t size = 0;
    std::from_chars(last.data(), last.data() + last.size(), size);
    e.recorded = size;
  }
  auto& placed = by_wd_[wd] = std::move(e);
  record(placed, true);
}

void LogTimeIndex::unwatch(const fs::path& log) {
  for (auto it = by_wd_.begin(); it != by_wd_.end(); ++it) {
    if (it->second.log != log) continue;
    record(it->second, true);
    if (inotify_) ::inotify_rm_watch(inotify_->native_handle(), it->first);
    ::close(it->second.times_fd);
    by_wd_.erase(it);
    return;
  }
}

void LogTimeIndex::record(Entry& e, bool force) {
  const auto now = LogClock::now();
  if (!force && now - e.last < kIndexGap) {
    e.dirty = true;
    arm_flush();
    return;
  }
  e.dirty = false;
  struct stat st {};
  if (::stat(e.log.c_str(), &st) != 0) return;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size <= e.recorded) return;
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::string line = fmt::format("{} {}\n", size, nanos);
  if (::write(e.times_fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
    e.recorded = size;
    e.last = now;
  }
}

void LogTimeIndex::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(kIndexGap);
  flush_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    flush_armed_ = false;
    for (auto& [wd, e] : by_wd_) {
      if (e.dirty) record(e, true);
    }
  });
}

void LogTimeIndex::read_events() {
  inotify_->async_wait(
      asio::posix::stream_descriptor::wait_read,
      [this, alive = alive_](const boost::system::error_code& ec) {
        if (!*alive || ec) return;
        alignas(inotify_event) char buffer[8192];
        ssize_t n;
        while ((n = ::read(inotify_->native_handle(), buffer, sizeof buffer)) > 0) {
          for (char* p = buffer; p < buffer + n;) {
            auto* ev = reinterpret_cast<inotify_event*>(p);
            if (auto it = by_wd_.find(ev->wd); it != by_wd_.end()) {
              record(it->second, false);
            }
            p += sizeof(inotify_event) + ev->len;
          }
        }
        read_events();
      });
}

}  // namespace skiff::controller::engine
