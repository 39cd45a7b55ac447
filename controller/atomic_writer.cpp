#include "controller/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace skiff::controller {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDataLink = "..data";
constexpr const char* kDataTmpLink = "..data_tmp";

config::ApiError io_error(const std::string& what, const fs::path& path, int err) {
  return config::ApiError{
      500, "InternalError", what + " " + path.string() + ": " + std::strerror(err), {}};
}

std::string first_component(const std::string& path) {
  auto slash = path.find('/');
  return slash == std::string::npos ? path : path.substr(0, slash);
}

// "..2026_11_26_03_30_00." as kubelet names its version folders (Go's MkdirTemp then adds
// random digits; mkdtemp adds six random characters).
std::string timestamp_prefix() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "..%Y_%m_%d_%H_%M_%S.", &tm);
  return buf;
}

// The files of one version folder: relative path -> {bytes, mode}. nullopt when it cannot be
// read (then the payload is simply written again).
std::optional<std::map<std::string, std::pair<std::string, int>>> read_version(
    const fs::path& version) {
  std::map<std::string, std::pair<std::string, int>> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(version, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) return std::nullopt;
    if (S_ISDIR(st.st_mode)) continue;
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    out[it->path().lexically_relative(version).string()] = {ss.str(),
                                                            static_cast<int>(st.st_mode & 07777)};
  }
  if (ec) return std::nullopt;
  return out;
}

bool same_payload(const fs::path& version, const std::vector<ProjectedFile>& payload) {
  auto current = read_version(version);
  if (!current || current->size() != payload.size()) return false;
  for (const auto& f : payload) {
    auto it = current->find(f.path);
    if (it == current->end() || it->second.first != f.data || it->second.second != f.mode) {
      return false;
    }
  }
  return true;
}

std::optional<config::ApiError> write_file(const fs::path& path, const ProjectedFile& f) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("create", path, errno);
  size_t done = 0;
  while (done < f.data.size()) {
    ssize_t n = ::write(fd, f.data.data() + done, f.data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("write", path, err);
    }
    done += static_cast<size_t>(n);
  }
  // fchmod, not the open mode: the daemon's umask must not change what the pod sees.
  if (::fchmod(fd, static_cast<mode_t>(f.mode)) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("chmod", path, err);
  }
  if (::close(fd) != 0) return io_error("close", path, errno);
  return std::nullopt;
}

}  // namespace

config::Result<AtomicWriteResult> write_atomically(const fs::path& dir,
                                                   const std::vector<ProjectedFile>& payload) {
  std::set<std::string> top_level;
  for (const auto& f : payload) {
    if (auto e = relative_path_error(f.path)) {
      return config::ApiError::bad_request("invalid path \"" + f.path + "\": " + *e);
    }
    if (f.path.starts_with("..")) {
      return config::ApiError::bad_request("invalid path \"" + f.path +
                                           "\": must not start with '..'");
    }
    top_level.insert(first_component(f.path));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("create", dir, ec.value());

  // The version shown now, if any.
  const fs::path data_link = dir / kDataLink;
  std::string old_version;
  {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(data_link.c_str(), buf, sizeof buf - 1);
    if (n > 0) old_version.assign(buf, static_cast<size_t>(n));
  }
  if (!old_version.empty() && same_payload(dir / old_version, payload)) {
    bool links_ok = true;
    for (const auto& name : top_level) {
      links_ok = links_ok && fs::is_symlink(dir / name, ec);
    }
    if (links_ok) return AtomicWriteResult{false};
  }

  // 1. The new version, complete, in a folder of its own.
  std::string tmpl = (dir / timestamp_prefix()).string() + "XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return io_error("create", fs::path(tmpl), errno);
  const fs::path version(tmpl);
  ::chmod(version.c_str(), 0755);
  for (const auto& f : payload) {
    const fs::path target = version / f.path;
    if (target.parent_path() != version) {
      fs::create_directories(target.parent_path(), ec);
      if (ec) {
        fs::remove_all(version, ec);
        return io_error("create", target.parent_path(), ec.value());
      }
    }
    if (auto e = write_file(target, f)) {
      fs::remove_all(version, ec);
      return *e;
    }
  }

  // 2. The swap: ..data_tmp -> new version, renamed over ..data.
  const fs::path tmp_link = dir / kDataTmpLink;
  ::unlink(tmp_link.c_str());
  if (::symlink(version.filename().c_str(), tmp_link.c_str()) != 0) {
    int err = errno;
    fs::remove_all(version, ec);
    return io_error("symlink", tmp_link, err);
  }
  if (::rename(tmp_link.c_str(), data_link.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp_link.c_str());
    fs::remove_all(version, ec);
    return io_error("rename", data_link, err);
  }

  // 3. Links for the names the payload shows, through ..data (made once, never swapped).
  for (const auto& name : top_level) {
    const fs::path link = dir / name;
    const std::string to = std::string(kDataLink) + "/" + name;
    char buf[PATH_MAX];
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == to) continue;
    if (n > 0 || fs::exists(fs::symlink_status(link, ec))) ::unlink(link.c_str());
    if (::symlink(to.c_str(), link.c_str()) != 0) return io_error("symlink", link, errno);
  }

  // 4. Names the payload no longer has, and versions older than the one just replaced (a
  // crash may have left some). The replaced one stays until the next update: a reader that
  // resolved ..data just before the swap still finds its files (kubelet removes it at once,
  // and such a reader gets ENOENT).
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code lec;
    const bool link = it->is_symlink(lec);
    if (name.starts_with("..")) {
      if (!link && name != version.filename().string() && name != old_version &&
          it->is_directory(lec)) {
        stale.push_back(it->path());
      }
      continue;
    }
    if (link && !top_level.contains(name)) stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove_all(p, ec);
  return AtomicWriteResult{true};
}

}  // namespace skiff::controller
