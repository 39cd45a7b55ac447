// A cgroupfs stand-in in a temp dir for CgroupManager's tests. The kernel creates a cgroup's
// interface files on mkdir and takes each write whole; here the test creates the files a
// cgroup would have (kernel_mkdir) and reads back what was written. What it cannot stand in
// for: rmdir of a cgroup holding interface files, EBUSY of the no-internal-process rule, and
// the kernel moving a pid written to cgroup.procs (see cgroup_v2_kernel_test.cpp for those).
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

extern char** environ;

namespace skiff::testing {

class FakeCgroupTree {
 public:
  FakeCgroupTree() {
    static std::atomic<int> n{0};
    root_ = std::filesystem::temp_directory_path() /
            ("skiff-cgroup-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~FakeCgroupTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeCgroupTree(const FakeCgroupTree&) = delete;
  FakeCgroupTree& operator=(const FakeCgroupTree&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // Writes `text` to root/rel, making the folders on the way.
  std::filesystem::path put(const std::filesystem::path& rel, const std::string& text = {}) const {
    const auto p = root_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::trunc) << text;
    return p;
  }
  // A cgroup folder root/rel with empty interface files named `files`, as mkdir in cgroupfs.
  std::filesystem::path kernel_mkdir(const std::filesystem::path& rel,
                                     std::initializer_list<const char*> files) const {
    const auto dir = root_ / rel;
    std::filesystem::create_directories(dir);
    for (const char* f : files) std::ofstream(dir / f, std::ios::trunc);
    return dir;
  }

  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path root_;
};

// A real `sleep` child (bounded: it ends by itself after `seconds`), reaped on destruction.
class SleepChild {
 public:
  explicit SleepChild(int seconds = 30) {
    std::string secs = std::to_string(seconds);
    char arg0[] = "sleep";
    char* argv[] = {arg0, secs.data(), nullptr};
    if (::posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) != 0) pid_ = -1;
  }
  ~SleepChild() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  SleepChild(const SleepChild&) = delete;
  SleepChild& operator=(const SleepChild&) = delete;

  pid_t pid() const { return pid_; }
  // Waits (bounded) for the child to end; the signal that ended it, 0 if it exited, -1 if it
  // still runs after `timeout_ms`.
  int wait_signal(int timeout_ms = 5000) {
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      }
      ::usleep(10000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace skiff::testing
