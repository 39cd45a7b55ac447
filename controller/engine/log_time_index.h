// When each running container's log grew: the process engine's containers write their log
// files directly (so they outlive the daemon without a shim), so the daemon learns a line's
// time by watching the file grow (inotify) and recording (size, time) pairs in a sidecar file,
// <run>.log.times, one "SIZE UNIX_NANOS" line per growth seen, at most one per kIndexGap per
// file. A byte's time is that of the first entry covering it: exact to the notification
// latency plus kIndexGap while the daemon runs; output written while no daemon ran gets the
// time the next daemon first saw it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "controller/engine/log_lines.h"

namespace skiff::controller::engine {

constexpr std::chrono::milliseconds kIndexGap{100};

// The times recorded for a log, ready for lookups. Pure.
class LogTimes {
 public:
  // From the sidecar's text; malformed or out-of-order lines are skipped.
  static LogTimes parse(std::string_view text);
  // The time the byte at `offset` was written; nullopt: not recorded (yet).
  std::optional<LogClock::time_point> at(uint64_t offset) const;

 private:
  std::vector<std::pair<uint64_t, LogClock::time_point>> entries_;  // size -> time, ascending
};

// The sidecar of a log file.
std::filesystem::path times_path(const std::filesystem::path& log);
// A time_of for a log stream: the recorded time, else now (output not yet indexed).
std::function<LogClock::time_point(uint64_t)> log_time_of(const std::filesystem::path& log);

class LogTimeIndex {
 public:
  explicit LogTimeIndex(boost::asio::io_context& io) : io_(io), flush_timer_(io) {}
  ~LogTimeIndex();
  LogTimeIndex(const LogTimeIndex&) = delete;
  LogTimeIndex& operator=(const LogTimeIndex&) = delete;

  // Starts recording a running container's log (records its current size now).
  void watch(const std::filesystem::path& log);
  // Its run ended: records the final size and stops.
  void unwatch(const std::filesystem::path& log);

 private:
  struct Entry {
    std::filesystem::path log;
    int times_fd = -1;
    int wd = -1;
    uint64_t recorded = 0;  // the size last written to the sidecar
    LogClock::time_point last{};
    bool dirty = false;
  };
  void record(Entry& e, bool force);
  void read_events();
  void arm_flush();

  boost::asio::io_context& io_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> inotify_;
  boost::asio::steady_timer flush_timer_;
  bool flush_armed_ = false;
  std::map<int, Entry> by_wd_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller::engine
