#include "proxy/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

namespace skiff::proxy {

PipePool::~PipePool() {
  for (Pipe& pipe : spare_) discard(pipe);
}

bool PipePool::take(Pipe& pipe) {
  if (!spare_.empty()) {
    pipe = spare_.back();
    spare_.pop_back();
    return true;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return false;
  // Larger than the 64 KiB default so one splice moves more of a bulk stream; refused when the
  // user is over fs.pipe-user-pages-soft, which is fine.
  ::fcntl(fds[0], F_SETPIPE_SZ, kPipeSize);
  pipe = Pipe{fds[0], fds[1]};
  return true;
}

void PipePool::give(Pipe& pipe) {
  if (!pipe.valid()) return;
  if (spare_.size() < kMaxSpare) {
    spare_.push_back(pipe);
    pipe = Pipe{};
  } else {
    discard(pipe);
  }
}

void PipePool::discard(Pipe& pipe) {
  if (pipe.read_fd >= 0) ::close(pipe.read_fd);
  if (pipe.write_fd >= 0) ::close(pipe.write_fd);
  pipe = Pipe{};
}

}  // namespace skiff::proxy
