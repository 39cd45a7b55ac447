#include "controller/engine/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace skiff::controller::engine {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kCfsPeriodUs = 100000;  // kubelet's default CFS period (100 ms)
constexpr const char* kSubtree = "skiff";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One write(2) of `value`, as the cgroup files want it; the error names the file.
std::optional<std::string> write_value(const fs::path& file, const std::string& value) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "open " + file.string() + ": " + std::strerror(errno);
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return "write \"" + value + "\" to " + file.string() + ": " + std::strerror(err);
  }
  return std::nullopt;
}

// An absolute cgroup path ("/a/b") as a path relative to a mount point.
fs::path relative(const std::string& cgroup_path) {
  std::string p = cgroup_path;
  while (!p.empty() && p.front() == '/') p.erase(p.begin());
  return p;
}

bool contains_word(const std::string& text, std::string_view word) {
  std::istringstream in(text);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

std::optional<std::string> make_dir(const fs::path& dir) {
  std::error_code ec;
  // Twice: another daemon may remove an emptied parent between our mkdirs.
  for (int attempt = 0; attempt < 2; ++attempt) {
    ec.clear();
    fs::create_directories(dir, ec);
    if (!ec) break;
  }
  if (ec) return "create " + dir.string() + ": " + ec.message();
  return std::nullopt;
}

std::string trimmed(const std::string& text) {
  const size_t b = text.find_first_not_of(" \t\n");
  if (b == std::string::npos) return {};
  return text.substr(b, text.find_last_not_of(" \t\n") - b + 1);
}

std::optional<uint64_t> oom_count(const fs::path& file) {
  if (file.empty()) return std::nullopt;
  return parse_oom_kill_count(read_text(file));
}

}  // namespace

std::map<std::string, std::string> parse_proc_cgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const size_t a = line.find(':');
    if (a == std::string_view::npos) continue;
    const size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (controllers.empty()) {
      out[""] = path;
      continue;
    }
    size_t c = 0;
    while (c <= controllers.size()) {
      size_t comma = controllers.find(',', c);
      if (comma == std::string_view::npos) comma = controllers.size();
      if (comma > c) out[std::string(controllers.substr(c, comma - c))] = path;
      c = comma + 1;
    }
  }
  return out;
}

std::optional<uint64_t> parse_oom_kill_count(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    constexpr std::string_view kKey = "oom_kill ";
    if (!line.starts_with(kKey)) continue;
    std::string_view num = line.substr(kKey.size());
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || ptr == num.data()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

int64_t cpu_quota_us(int64_t milli_cpu, int64_t period_us) {
  return std::max<int64_t>(1000, milli_cpu * period_us / 1000);
}

int64_t cpu_shares(int64_t milli_cpu) {
  return std::clamp<int64_t>(milli_cpu * 1024 / 1000, 2, 262144);
}

int64_t cpu_weight(int64_t shares) {
  return std::clamp<int64_t>(1 + (shares - 2) * 9999 / 262142, 1, 10000);
}

std::vector<std::string> ContainerCgroup::procs_files() const {
  std::vector<std::string> out;
  for (const auto& d : dirs) out.push_back((d / "cgroup.procs").string());
  return out;
}

std::optional<std::string> vacate_cgroup(const fs::path& dir, pid_t self) {
  const fs::path procs_file = dir / "cgroup.procs";
  std::ifstream in(procs_file);
  if (!in) return "read " + procs_file.string() + ": " + std::strerror(errno);
  std::vector<pid_t> others;
  bool self_inside = false;
  pid_t pid;
  while (in >> pid) {
    if (pid == self) {
      self_inside = true;
    } else {
      others.push_back(pid);
    }
  }
  if (!others.empty()) {
    std::string list;
    for (size_t i = 0; i < others.size() && i < 5; ++i) {
      list += (i ? ", " : "") + std::to_string(others[i]);
    }
    if (others.size() > 5) list += ", ...";
    return dir.string() + " holds processes besides the daemon (" + list +
           "); a cgroup that enables controllers for its children may hold none (the " +
           "no-internal-process rule), and skiff moves only itself: run it in a cgroup of its " +
           "own, e.g. a systemd service with Delegate=yes";
  }
  if (!self_inside) return std::nullopt;
  const fs::path leaf = dir / kDaemonLeaf;
  if (auto e = make_dir(leaf)) return *e;
  if (auto e = write_value(leaf / "cgroup.procs", std::to_string(self))) {
    return "move the daemon out of " + dir.string() + " (no-internal-process rule): " + *e;
  }
  return std::nullopt;
}

CgroupManager CgroupManager::detect(const fs::path& root, const std::string& proc_self_cgroup) {
  CgroupManager m;
  if (::geteuid() != 0) {
    m.unavailable_ = "the daemon does not run as root, so it cannot create cgroups";
    return m;
  }
  const auto own = parse_proc_cgroup(proc_self_cgroup.empty() ? read_text("/proc/self/cgroup")
                                                              : proc_self_cgroup);
  std::error_code ec;
  if (fs::exists(root / "cgroup.controllers", ec)) {
    auto it = own.find("");
    const std::string own_path = it == own.end() ? "/" : it->second;
    fs::path parent = root / relative(own_path);
    if (!fs::is_directory(parent, ec)) {
      m.unavailable_ = "cgroup v2: the daemon's cgroup " + own_path + " (/proc/self/cgroup) is " +
                       "not at " + parent.string();
      return m;
    }
    // A daemon restarted inside the leaf an earlier one moved into delegates from the same
    // cgroup, so it finds the containers that earlier daemon left running.
    if (parent.filename() == kDaemonLeaf) parent = parent.parent_path();
    const std::string available = read_text(parent / "cgroup.controllers");
    for (const char* c : {"memory", "cpu"}) {
      if (!contains_word(available, c)) {
        m.unavailable_ = "cgroup v2: the " + std::string(c) + " controller is not available in " +
                         parent.string() + " (its cgroup.controllers: \"" + trimmed(available) +
                         "\"); run skiff where it is delegated (systemd: Delegate=yes)";
        return m;
      }
    }
    // Only the root may hold processes and enable controllers for its children; every other
    // cgroup has a cgroup.type (cgroup-v2.rst), a container's namespace root included.
    if (fs::exists(parent / "cgroup.type", ec)) {
      if (auto e = vacate_cgroup(parent, ::getpid())) {
        m.unavailable_ = "cgroup v2: " + *e;
        return m;
      }
    }
    if (auto e = write_value(parent / "cgroup.subtree_control", "+memory +cpu")) {
      m.unavailable_ = "cgroup v2: cannot enable memory and cpu below the daemon's cgroup (" + *e +
                       "); run skiff in a cgroup of its own with delegation";
      return m;
    }
    m.version_ = 2;
    m.memory_base_ = m.cpu_base_ = parent / kSubtree;
    m.unavailable_.clear();
    return m;
  }
  fs::path bases[2];
  const char* controllers[2] = {"memory", "cpu"};
  for (int i = 0; i < 2; ++i) {
    const fs::path mount = root / controllers[i];
    if (!fs::exists(mount / "cgroup.procs", ec)) {
      m.unavailable_ =
          "cgroup v1: no " + std::string(controllers[i]) + " hierarchy at " + mount.string();
      return m;
    }
    auto it = own.find(controllers[i]);
    const fs::path parent = mount / relative(it == own.end() ? "/" : it->second);
    if (::access(parent.c_str(), W_OK) != 0) {
      m.unavailable_ = "cgroup v1: " + parent.string() + ": " + std::strerror(errno);
      return m;
    }
    bases[i] = parent / kSubtree;
  }
  m.version_ = 1;
  m.memory_base_ = bases[0];
  m.cpu_base_ = bases[1];
  m.unavailable_.clear();
  return m;
}

fs::path CgroupManager::container_dir(const fs::path& base, const std::string& pod_uid,
                                      const std::string& container) const {
  return base / pod_uid / container;
}

config::Result<ContainerCgroup> CgroupManager::create(const std::string& pod_uid,
                                                      const std::string& container,
                                                      const ContainerLimits& limits) const {
  ContainerCgroup cg;
  if (!limits.any()) return cg;
  if (!unavailable_.empty()) return config::ApiError{500, "InternalError", unavailable_, {}};
  if (pod_uid.empty() || pod_uid.find('/') != std::string::npos || pod_uid == "." ||
      pod_uid == ".." || container.empty() || container.find('/') != std::string::npos ||
      container == "." || container == "..") {
    return config::ApiError::bad_request("cgroup: bad pod uid or container name");
  }
  auto fail = [&](const std::string& why) -> config::Result<ContainerCgroup> {
    (void)remove(cg);
    return config::ApiError{500, "RunContainerError", "cgroup: " + why, {}};
  };
  const int64_t shares_milli =
      limits.cpu_request_milli > 0 ? limits.cpu_request_milli : limits.cpu_milli;
  if (version_ == 2) {
    const fs::path pod_dir = memory_base_ / pod_uid;
    if (auto e = make_dir(pod_dir)) return fail(*e);
    if (auto e = write_value(memory_base_ / "cgroup.subtree_control", "+memory +cpu")) {
      return fail(*e);
    }
    if (auto e = write_value(pod_dir / "cgroup.subtree_control", "+memory +cpu")) return fail(*e);
    const fs::path dir = container_dir(memory_base_, pod_uid, container);
    if (auto e = make_dir(dir)) return fail(*e);
    cg.dirs.push_back(dir);
    // Every limit is written, "max" where there is none: the folder may be one an earlier
    // container of the same name left behind with other values.
    const bool memory = limits.memory_bytes > 0;
    if (auto e =
            write_value(dir / "memory.max", memory ? std::to_string(limits.memory_bytes) : "max")) {
      return fail(*e);
    }
    std::error_code ec;
    // Absent when the kernel does not account swap (no swap, or swapaccount=0).
    if (fs::exists(dir / "memory.swap.max", ec)) {
      if (auto e = write_value(dir / "memory.swap.max", memory ? "0" : "max")) return fail(*e);
    }
    // The whole container goes on an OOM kill, as kubelet sets it.
    (void)write_value(dir / "memory.oom.group", "1");
    // Counted for any OOM kill of its processes, the limit's or the machine's.
    cg.oom_file = dir / "memory.events";
    const std::string quota = limits.cpu_milli > 0
                                  ? std::to_string(cpu_quota_us(limits.cpu_milli, kCfsPeriodUs))
                                  : std::string("max");
    if (auto e = write_value(dir / "cpu.max", quota + " " + std::to_string(kCfsPeriodUs))) {
      return fail(*e);
    }
    // The kernel's default weight (100) without a request.
    (void)write_value(dir / "cpu.weight", shares_milli > 0
                                              ? std::to_string(cpu_weight(cpu_shares(shares_milli)))
                                              : std::string("100"));
  } else {
    if (limits.memory_bytes > 0) {
      const fs::path dir = container_dir(memory_base_, pod_uid, container);
      if (auto e = make_dir(dir)) return fail(*e);
      cg.dirs.push_back(dir);
      const std::string bytes = std::to_string(limits.memory_bytes);
      std::error_code ec;
      const bool memsw = fs::exists(dir / "memory.memsw.limit_in_bytes", ec);
      // memsw must never be below the memory limit: lift it first (a reused folder may hold
      // an older, lower value), then set both to the limit, so no swap is used.
      if (memsw) (void)write_value(dir / "memory.memsw.limit_in_bytes", "-1");
      if (auto e = write_value(dir / "memory.limit_in_bytes", bytes)) return fail(*e);
      if (memsw) {
        if (auto e = write_value(dir / "memory.memsw.limit_in_bytes", bytes)) return fail(*e);
      }
      cg.oom_file = dir / "memory.oom_control";
    }
    if (limits.cpu_milli > 0) {
      const fs::path dir = container_dir(cpu_base_, pod_uid, container);
      if (auto e = make_dir(dir)) return fail(*e);
      cg.dirs.push_back(dir);
      if (auto e = write_value(dir / "cpu.cfs_period_us", std::to_string(kCfsPeriodUs))) {
        return fail(*e);
      }
      if (auto e = write_value(dir / "cpu.cfs_quota_us",
                               std::to_string(cpu_quota_us(limits.cpu_milli, kCfsPeriodUs)))) {
        return fail(*e);
      }
      (void)write_value(dir / "cpu.shares", std::to_string(cpu_shares(shares_milli)));
    }
  }
  cg.oom_kills_at_start = oom_count(cg.oom_file).value_or(0);
  return cg;
}

ContainerCgroup CgroupManager::find(const std::string& pod_uid,
                                    const std::string& container) const {
  ContainerCgroup cg;
  if (version_ == 0 || pod_uid.empty() || container.empty()) return cg;
  std::error_code ec;
  const fs::path mem = container_dir(memory_base_, pod_uid, container);
  if (fs::is_directory(mem, ec)) {
    cg.dirs.push_back(mem);
    cg.oom_file = mem / (version_ == 2 ? "memory.events" : "memory.oom_control");
    cg.oom_kills_at_start = oom_count(cg.oom_file).value_or(0);
  }
  if (version_ == 1) {
    const fs::path cpu = container_dir(cpu_base_, pod_uid, container);
    if (fs::is_directory(cpu, ec)) cg.dirs.push_back(cpu);
  }
  return cg;
}

bool CgroupManager::oom_killed(const ContainerCgroup& cg) const {
  auto now = oom_count(cg.oom_file);
  return now && *now > cg.oom_kills_at_start;
}

bool CgroupManager::remove(const ContainerCgroup& cg) const {
  bool all = true;
  for (const auto& dir : cg.dirs) {
    // Processes that left the container's process group are still in its cgroup.
    std::istringstream procs(read_text(dir / "cgroup.procs"));
    pid_t pid;
    while (procs >> pid) {
      if (pid > 0) ::kill(pid, SIGKILL);
    }
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      all = false;
      continue;
    }
    // The pod's folder goes with its last container, and skiff's own with the last pod, so
    // nothing is left in the daemon's cgroup; a sibling keeps them (EBUSY).
    if (::rmdir(dir.parent_path().c_str()) == 0)
      (void)::rmdir(dir.parent_path().parent_path().c_str());
  }
  return all;
}

}  // namespace skiff::controller::engine
