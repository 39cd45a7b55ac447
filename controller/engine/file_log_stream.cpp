#include "controller/engine/file_log_stream.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace skiff::controller::engine {
namespace asio = boost::asio;

void RunEnd::end() {
  if (ended_) return;
  ended_ = true;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) {
    if (auto live = w.lock()) live->run_ended();
  }
}

void RunEnd::add_waiter(std::weak_ptr<Waiter> waiter) {
  std::erase_if(waiters_, [](const auto& w) { return w.expired(); });
  waiters_.push_back(std::move(waiter));
}

namespace {

constexpr size_t kReadBlock = 64 * 1024;
// Blocks read (and dropped by sinceTime) in one loop turn before yielding to other work.
constexpr int kBlocksPerTurn = 16;

class FileFollower final : public RunEnd::Waiter,
                           public std::enable_shared_from_this<FileFollower> {
 public:
  FileFollower(asio::io_context& io, int fd, uint64_t offset, FileLogSource source,
               const LogOptions& options)
      : io_(io),
        fd_(fd),
        offset_(offset),
        source_(std::move(source)),
        follow_(options.follow),
        filter_(options.since, options.timestamps) {}

  ~FileFollower() override { close(); }

  // Called once the follower is owned by a shared_ptr.
  Result<bool> start() {
    if (!follow_ || !source_.run || source_.run->ended()) return true;
    const int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0) return inotify_error("inotify_init1");
    inotify_ = std::make_unique<asio::posix::stream_descriptor>(io_, in);
    if (::inotify_add_watch(in, source_.path.c_str(),
                            IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
      return inotify_error("inotify_add_watch " + source_.path.string());
    }
    source_.run->add_waiter(weak_from_this());
    return true;
  }

  void read(LogStream::ReadHandler done) {
    if (closed_) return;
    pending_ = std::move(done);
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->pump();
    });
  }

  void run_ended() override {
    if (closed_) return;
    // Post rather than pump here: the engine is inside its exit handling.
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        if (self->inotify_) {
          boost::system::error_code ignored;
          self->inotify_->cancel(ignored);
        }
        self->pump();
      }
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    pending_ = nullptr;
    if (inotify_) {
      boost::system::error_code ignored;
      inotify_->close(ignored);
      inotify_.reset();
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  Result<bool> inotify_error(const std::string& what) {
    return ApiError{
        500, "InternalError", "cannot follow the log: " + what + ": " + std::strerror(errno), {}};
  }

  // Serves the pending read from the file, or waits for more to be written.
  void pump() {
    if (closed_ || !pending_) return;
    char buffer[kReadBlock];
    for (int i = 0; i < kBlocksPerTurn; ++i) {
      // Whether the run had ended before this read: then a short read is the true end.
      const bool ended = !follow_ || !source_.run || source_.run->ended();
      const ssize_t n = ::pread(fd_, buffer, sizeof buffer, static_cast<off_t>(offset_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return deliver(
            ApiError{500,
                     "InternalError",
                     "reading " + source_.path.filename().string() + ": " + std::strerror(errno),
                     {}});
      }
      if (n == 0) {
        if (ended) return deliver(std::string());
        return wait();
      }
      std::string out;
      const auto now = LogClock::now();
      filter_.feed(
          std::string_view(buffer, static_cast<size_t>(n)), offset_,
          source_.time_of ? source_.time_of : [now](uint64_t) { return now; }, out);
      offset_ += static_cast<uint64_t>(n);
      if (!out.empty()) return deliver(std::move(out));
    }
    // Everything read so far was cut by sinceTime: go on in a later turn.
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->pump();
    });
  }

  void deliver(Result<std::string> r) {
    auto done = std::move(pending_);
    pending_ = nullptr;
    done(std::move(r));
  }

  void wait() {
    if (waiting_ || !inotify_) return;
    waiting_ = true;
    inotify_->async_wait(asio::posix::stream_descriptor::wait_read,
                         [weak = weak_from_this()](const boost::system::error_code& ec) {
                           auto self = weak.lock();
                           if (!self || self->closed_) return;
                           self->waiting_ = false;
                           if (!ec) self->drain_events();
                           self->pump();
                         });
  }

  // The events only say "look again"; their content is not needed.
  void drain_events() {
    alignas(inotify_event) char events[4096];
    while (::read(inotify_->native_handle(), events, sizeof events) > 0) {
    }
  }

  asio::io_context& io_;
  int fd_;
  uint64_t offset_;
  FileLogSource source_;
  bool follow_;
  LogLineFilter filter_;
  std::unique_ptr<asio::posix::stream_descriptor> inotify_;
  LogStream::ReadHandler pending_;
  bool waiting_ = false;
  bool closed_ = false;
};

// The handle the API holds: its destruction ends the follower (the follower itself lives in
// a shared_ptr so a late completion finds it gone rather than freed).
class FileLogStream final : public LogStream {
 public:
  explicit FileLogStream(std::shared_ptr<FileFollower> follower) : follower_(std::move(follower)) {}
  ~FileLogStream() override { follower_->close(); }
  void read(ReadHandler done) override { follower_->read(std::move(done)); }

 private:
  std::shared_ptr<FileFollower> follower_;
};

}  // namespace

Result<std::unique_ptr<LogStream>> open_file_log(asio::io_context& io, FileLogSource source,
                                                 const LogOptions& options) {
  const int fd = ::open(source.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ApiError{
        500, "InternalError", "open " + source.path.string() + ": " + std::strerror(errno), {}};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return ApiError{
        500, "InternalError", "stat " + source.path.string() + ": " + std::strerror(errno), {}};
  }
  uint64_t offset = 0;
  if (options.tail_lines) {
    offset = tail_start(
        static_cast<uint64_t>(st.st_size), *options.tail_lines,
        [fd](char* b, size_t n, uint64_t at) { return ::pread(fd, b, n, static_cast<off_t>(at)); });
  }
  auto follower = std::make_shared<FileFollower>(io, fd, offset, std::move(source), options);
  if (auto started = follower->start(); !started) return started.error();
  return std::unique_ptr<LogStream>(std::make_unique<FileLogStream>(std::move(follower)));
}

}  // namespace skiff::controller::engine
