// A LogStream over one run's log file (the process engine's STATE_DIR/pods/.../<n>.log):
// what is there, then, with follow, new output as the container writes it, woken by inotify,
// until the run ends and the file is read to its end.
//
// inotify rather than a poll timer: the stream wakes within the kernel's notification latency
// and costs nothing while the container is quiet; it needs one descriptor per following
// stream, which is released with the stream. The file is read only when the reader asks for
// more, so a slow reader holds at most one block in memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "controller/engine/engine.h"
#include "controller/engine/log_lines.h"

namespace skiff::controller::engine {

// Whether a container's run has ended, shared by the engine (which ends it when the process is
// gone) and the streams following that run's file (which it wakes).
class RunEnd {
 public:
  class Waiter {
   public:
    virtual ~Waiter() = default;
    virtual void run_ended() = 0;
  };

  bool ended() const { return ended_; }
  // Marks the run over and wakes every waiter still alive. Idempotent.
  void end();
  void add_waiter(std::weak_ptr<Waiter> waiter);

 private:
  bool ended_ = false;
  std::vector<std::weak_ptr<Waiter>> waiters_;
};

struct FileLogSource {
  std::filesystem::path path;
  // The run writing the file; null or ended: the file is complete (a previous run).
  std::shared_ptr<RunEnd> run;
  // When the byte at an offset was written; null: unknown, so the time it is read.
  std::function<LogClock::time_point(uint64_t)> time_of;
};

// Opens the stream (the file must exist: a missing one is an error here, not later).
Result<std::unique_ptr<LogStream>> open_file_log(boost::asio::io_context& io, FileLogSource source,
                                                 const LogOptions& options);

}  // namespace skiff::controller::engine
