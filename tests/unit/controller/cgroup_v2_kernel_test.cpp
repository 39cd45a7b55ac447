// What the fake cgroupfs cannot show, on the kernel's own cgroup2 filesystem, mounted in a
// temp dir: cgroup folders holding interface files are removed once their processes are gone,
// and the daemon moves out of its cgroup into its leaf. Needs root (mount); skipped otherwise.
// Where every controller is bound to v1 (a hybrid machine) the hierarchy has no memory or cpu,
// so limits themselves cannot be shown here, only the folder and process handling.
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cgroup_fake_tree.h"
#include "controller/engine/cgroup.h"

using namespace skiff::controller::engine;
using skiff::testing::FakeCgroupTree;
using skiff::testing::SleepChild;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// cgroup2 mounted at a temp dir, with a test cgroup of this process's own under its root;
// both undone at the end, whatever the test left in them.
class Cgroup2Mount {
 public:
  Cgroup2Mount() {
    mount_point_ = fs::temp_directory_path() / ("skiff-cgroup2-test-" + std::to_string(::getpid()));
    fs::create_directories(mount_point_);
    if (::geteuid() != 0) {
      why_not_ = "not root";
    } else if (::mount("none", mount_point_.c_str(), "cgroup2", 0, nullptr) != 0) {
      why_not_ = std::string("mount -t cgroup2: ") + std::strerror(errno);
    } else {
      mounted_ = true;
      base_ = mount_point_ / ("skiff-cgroup-test-" + std::to_string(::getpid()));
      fs::create_directory(base_);
    }
  }
  ~Cgroup2Mount() {
    if (mounted_) {
      remove_tree(base_);
      if (::umount2(mount_point_.c_str(), 0) != 0) ::umount2(mount_point_.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    fs::remove(mount_point_, ec);
  }
  Cgroup2Mount(const Cgroup2Mount&) = delete;
  Cgroup2Mount& operator=(const Cgroup2Mount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  const fs::path& mount_point() const { return mount_point_; }
  // The test's cgroup, as the "0::" path /proc/self/cgroup would give and as a folder.
  std::string base_cgroup() const { return "/" + base_.filename().string(); }
  const fs::path& base() const { return base_; }

 private:
  // Deepest first; a cgroup whose killed processes are still exiting is busy for a moment.
  static void remove_tree(const fs::path& top) {
    std::vector<fs::path> dirs{top};
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->is_directory(ec)) dirs.push_back(it->path());
    }
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();
    });
    for (const auto& d : dirs) {
      std::ifstream procs(d / "cgroup.procs");
      pid_t pid;
      while (procs >> pid) ::kill(pid, SIGKILL);
      for (int i = 0; i < 200 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) {
        std::this_thread::sleep_for(10ms);
      }
    }
  }

  fs::path mount_point_;
  fs::path base_;
  bool mounted_ = false;
  std::string why_not_;
};

std::vector<pid_t> procs_of(const fs::path& cgroup) {
  std::ifstream in(cgroup / "cgroup.procs");
  std::vector<pid_t> out;
  pid_t pid;
  while (in >> pid) out.push_back(pid);
  return out;
}

bool join(const fs::path& cgroup, pid_t pid) {
  std::ofstream out(cgroup / "cgroup.procs");
  out << pid;
  out.flush();
  return static_cast<bool>(out);
}

std::string first_word(const std::string& text) {
  std::istringstream in(text);
  std::string w;
  in >> w;
  return w;
}

}  // namespace

TEST_CASE("On a real cgroup2 fs remove kills the processes and removes the folders",
          "[cgroup][v2][kernel]") {
  Cgroup2Mount cg2;
  if (!cg2.mounted()) {
    WARN("skipped: cannot mount cgroup2 here (" << cg2.why_not() << ")");
    return;
  }
  const std::string controllers = FakeCgroupTree::read(cg2.mount_point() / "cgroup.controllers");
  INFO("cgroup2 root controllers: \"" << controllers << "\"");
  auto m = CgroupManager::detect(cg2.mount_point(), "0::" + cg2.base_cgroup() + "\n");
  if (controllers.find("memory") == std::string::npos) {
    // A hybrid machine: memory is bound to v1, and detect says so rather than failing later.
    CHECK(m.version() == 0);
    CHECK_THAT(m.unavailable(), Catch::Contains("the memory controller is not available in " +
                                                (cg2.base()).string()));
  }

  // skiff/<uid>/<container> as create() lays it out; the kernel fills each with its files.
  const fs::path app = cg2.base() / "skiff" / "pod-uid" / "app";
  const fs::path sidecar = cg2.base() / "skiff" / "pod-uid" / "sidecar";
  fs::create_directories(app);
  fs::create_directories(sidecar);
  REQUIRE(fs::exists(app / "cgroup.procs"));
  REQUIRE(fs::exists(app / "cgroup.events"));

  SleepChild inside;
  REQUIRE(inside.pid() > 0);
  REQUIRE(join(app, inside.pid()));
  REQUIRE(procs_of(app) == std::vector<pid_t>{inside.pid()});

  ContainerCgroup cg{{app}, {}, 0};
  // The engine retries while SIGKILLed processes are still leaving; so does this, bounded.
  bool removed = false;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!(removed = m.remove(cg)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(removed);
  CHECK(inside.wait_signal() == SIGKILL);
  CHECK_FALSE(fs::exists(app));
  CHECK(fs::exists(sidecar.parent_path()));  // the sidecar keeps the pod's folder

  ContainerCgroup side{{sidecar}, {}, 0};
  CHECK(m.remove(side));
  CHECK_FALSE(fs::exists(cg2.base() / "skiff"));
  CHECK(fs::exists(cg2.base()));  // never above skiff's folder
  CHECK(m.remove(side));          // already gone
}

TEST_CASE("On a real cgroup2 fs the daemon moves into its leaf only when alone",
          "[cgroup][v2][kernel]") {
  Cgroup2Mount cg2;
  if (!cg2.mounted()) {
    WARN("skipped: cannot mount cgroup2 here (" << cg2.why_not() << ")");
    return;
  }
  // The daemon's cgroup, with the "daemon" and a stranger (a login shell, say) in it.
  const fs::path own = cg2.base() / "service";
  fs::create_directory(own);
  SleepChild daemon, stranger;
  REQUIRE(daemon.pid() > 0);
  REQUIRE(stranger.pid() > 0);
  REQUIRE(join(own, daemon.pid()));
  REQUIRE(join(own, stranger.pid()));

  auto refused = vacate_cgroup(own, daemon.pid());
  REQUIRE(refused.has_value());
  CHECK_THAT(*refused, Catch::Contains("(" + std::to_string(stranger.pid()) + ")") &&
                           Catch::Contains("no-internal-process rule"));
  CHECK(procs_of(own).size() == 2);
  CHECK_FALSE(fs::exists(own / kDaemonLeaf));

  // Where the hierarchy has a domain controller to hand down, the kernel shows the rule.
  const std::string controller = first_word(FakeCgroupTree::read(own / "cgroup.controllers"));
  auto enable = [&] {
    std::ofstream out(own / "cgroup.subtree_control");
    out << "+" << controller;
    out.flush();
    return static_cast<bool>(out);
  };
  if (!controller.empty()) CHECK_FALSE(enable());  // EBUSY: processes inside

  ::kill(stranger.pid(), SIGKILL);
  REQUIRE(stranger.wait_signal() == SIGKILL);
  CHECK_FALSE(vacate_cgroup(own, daemon.pid()).has_value());
  CHECK(procs_of(own).empty());
  CHECK(procs_of(own / kDaemonLeaf) == std::vector<pid_t>{daemon.pid()});
  if (controller.empty()) {
    WARN("no controller in " << own.string()
                             << "/cgroup.controllers (all bound to v1): the kernel's EBUSY for "
                                "a cgroup with processes is not shown here");
  } else {
    CHECK(enable());
  }
  // Nothing left to move.
  CHECK_FALSE(vacate_cgroup(own, daemon.pid()).has_value());
  CHECK(procs_of(own / kDaemonLeaf) == std::vector<pid_t>{daemon.pid()});
}
