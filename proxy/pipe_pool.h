// PipePool: one worker's spare pipes for splice(2). A relay direction borrows a pipe only while
// bytes are in flight through it and gives it back once it is empty, so idle connections hold
// no pipe and a new connection costs no pipe2()/close() syscalls. Worker-local: no lock.
#pragma once

#include <cstddef>
#include <vector>

namespace skiff::proxy {

struct Pipe {
  int read_fd = -1;
  int write_fd = -1;
  bool valid() const { return read_fd >= 0; }
};

class PipePool {
 public:
  // Bytes a pipe is asked to hold (F_SETPIPE_SZ); the kernel may keep its default instead.
  static constexpr int kPipeSize = 256 * 1024;
  static constexpr std::size_t kMaxSpare = 32;

  PipePool() = default;
  ~PipePool();
  PipePool(const PipePool&) = delete;
  PipePool& operator=(const PipePool&) = delete;

  // A spare or new pipe; false when none can be made (EMFILE, ENFILE): relay with a buffer.
  bool take(Pipe& pipe);
  // Returns an EMPTY pipe for reuse (closes it past kMaxSpare). pipe is reset.
  void give(Pipe& pipe);
  // Closes a pipe that may still hold bytes. pipe is reset.
  static void discard(Pipe& pipe);

  std::size_t spare() const { return spare_.size(); }

 private:
  std::vector<Pipe> spare_;
};

}  // namespace skiff::proxy
