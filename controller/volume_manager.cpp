#include "controller/volume_manager.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "config/quantity.h"
#include "controller/atomic_writer.h"
#include "controller/volume_plan.h"

namespace skiff::controller {
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

std::string errno_text(const std::string& what, const fs::path& path, int err) {
  return what + " " + path.string() + ": " + std::strerror(err);
}

HostFileType file_type(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return HostFileType::kMissing;
  if (S_ISDIR(st.st_mode)) return HostFileType::kDirectory;
  if (S_ISREG(st.st_mode)) return HostFileType::kFile;
  if (S_ISSOCK(st.st_mode)) return HostFileType::kSocket;
  if (S_ISCHR(st.st_mode)) return HostFileType::kCharDevice;
  if (S_ISBLK(st.st_mode)) return HostFileType::kBlockDevice;
  return HostFileType::kOther;
}

// Whether something is mounted on `dir` (it is on another device than its parent).
bool is_mount_point(const fs::path& dir) {
  struct stat self {
  }, parent{};
  if (::stat(dir.c_str(), &self) != 0) return false;
  if (::stat(dir.parent_path().c_str(), &parent) != 0) return false;
  return self.st_dev != parent.st_dev;
}

// "" or why the tmpfs could not be mounted.
std::string mount_tmpfs(const fs::path& dir, const std::string& options) {
  if (is_mount_point(dir)) return "";
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    return errno_text("mount tmpfs on", dir, errno);
  }
  return "";
}

// Mount points at or under `root`, deepest first, from /proc/self/mountinfo.
std::vector<std::string> mounts_under(const fs::path& root) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  const std::string prefix = root.string();
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount-point ...; the mount point escapes ' ' as \040.
    size_t pos = 0;
    for (int field = 0; field < 4 && pos != std::string::npos; ++field) {
      pos = line.find(' ', pos);
      if (pos != std::string::npos) ++pos;
    }
    if (pos == std::string::npos) continue;
    size_t end = line.find(' ', pos);
    std::string raw = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    std::string point;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 3 < raw.size()) {
        point.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 3), nullptr, 8)));
        i += 3;
      } else {
        point.push_back(raw[i]);
      }
    }
    if (point == prefix || point.starts_with(prefix + "/")) out.push_back(point);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

// "" when root/sub_path can be mounted: a missing subPath of an emptyDir or hostPath is made
// (mode 0777, as kubelet), one of a configMap or secret volume must be a projected name; and
// the path, with every symlink resolved, must stay inside the volume (a container could have
// planted a symlink to the host's /etc in its emptyDir). Like kubelet before its safe-open
// rework, the check and the mount are not one step: a container racing it is not stopped.
std::string check_sub_path(const fs::path& root, const std::string& sub_path, bool projected) {
  const fs::path source = root / sub_path;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(source, ec))) {
    if (projected) return "subPath " + sub_path + " does not exist in the volume";
    fs::create_directories(source, ec);
    if (ec) return "create subPath " + source.string() + ": " + ec.message();
    ::chmod(source.c_str(), 0777);
  }
  const fs::path real_root = fs::weakly_canonical(root, ec);
  const fs::path real = fs::weakly_canonical(source, ec);
  if (ec) return "subPath " + sub_path + ": " + ec.message();
  // A configMap's key is a link into its ..data folder: still inside the volume.
  const std::string r = real_root.string(), p = real.string();
  if (p != r && !p.starts_with(r + "/")) {
    return "subPath " + sub_path + " resolves to " + p + ", outside the volume";
  }
  return "";
}

bool uses(const config::Volume& v, config::Kind kind, const std::string& name) {
  if (kind == config::Kind::kConfigMap) return v.config_map && v.config_map->name == name;
  if (kind == config::Kind::kSecret) return v.secret && v.secret->secret_name == name;
  return false;
}

}  // namespace

VolumeManager::VolumeManager(asio::io_context& io, Store& store, fs::path state_dir)
    : io_(io), store_(store), state_dir_(std::move(state_dir)) {}

VolumeManager::~VolumeManager() {
  *alive_ = false;
  for (uint64_t id : watches_) store_.unwatch(id);
}

void VolumeManager::start() {
  for (config::Kind kind : {config::Kind::kConfigMap, config::Kind::kSecret}) {
    watches_.push_back(store_.watch(kind, [this, kind, alive = alive_](const WatchEvent& ev) {
      if (!ev.object) return;
      const auto& m = config::meta(*ev.object);
      asio::post(io_, [this, alive, kind, ns = m.namespace_, name = m.name] {
        if (*alive) refresh(kind, ns, name);
      });
    }));
  }
}

config::Result<PodMounts> VolumeManager::set_up(const config::Pod& pod) {
  PodMounts mounts;
  const auto& spec = pod.spec;
  if (spec.volumes.empty()) {
    for (const auto& c : spec.containers) mounts[c.name];
    return mounts;
  }
  auto failed = [](const std::string& volume, const std::string& why) {
    return config::ApiError{
        500, "FailedMount", "MountVolume.SetUp failed for volume \"" + volume + "\" : " + why, {}};
  };
  if (state_dir_.empty()) {
    return failed(spec.volumes.front().name, "the kubelet has no state directory for volumes");
  }
  const fs::path dir = pod_volumes_dir(state_dir_, pod.metadata.uid);
  for (const auto& volume : spec.volumes) {
    if (auto why = set_up_volume(pod.metadata.namespace_, dir, volume); !why.empty()) {
      return failed(volume.name, why);
    }
  }
  for (const auto& c : spec.containers) {
    auto planned = plan_mounts(spec, c, dir);
    if (!planned) return failed(c.name, planned.error().message);
    for (const auto& vm : c.volume_mounts) {
      if (vm.sub_path.empty()) continue;
      auto v = std::find_if(spec.volumes.begin(), spec.volumes.end(),
                            [&](const config::Volume& x) { return x.name == vm.name; });
      if (v == spec.volumes.end()) continue;  // plan_mounts refused it already
      if (auto why =
              check_sub_path(volume_host_path(dir, *v), vm.sub_path, v->config_map || v->secret);
          !why.empty()) {
        return failed(vm.name, why);
      }
    }
    mounts[c.name] = std::move(*planned);
  }
  pods_[pod.metadata.uid] = PodVolumes{pod.metadata.namespace_, pod.metadata.name, spec.volumes};
  return mounts;
}

std::string VolumeManager::set_up_volume(const std::string& ns, const fs::path& dir,
                                         const config::Volume& volume) {
  std::error_code ec;
  if (volume.host_path) {
    const std::string& path = volume.host_path->path;
    auto action = host_path_action(volume.host_path->type, path, file_type(path));
    switch (action.type) {
      case HostPathAction::Type::kNone:
        return "";
      case HostPathAction::Type::kFail:
        return action.message;
      case HostPathAction::Type::kCreateDirectory:
        fs::create_directories(path, ec);
        if (ec) return "create " + path + ": " + ec.message();
        ::chmod(path.c_str(), 0755);
        return "";
      case HostPathAction::Type::kCreateFile: {
        fs::create_directories(fs::path(path).parent_path(), ec);
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return errno_text("create", path, errno);
        ::close(fd);
        return "";
      }
    }
    return "";
  }
  const fs::path where = volume_host_path(dir, volume);
  if (volume_plugin(volume).empty()) return "the volume has no source";
  const bool fresh = !fs::exists(where, ec);
  fs::create_directories(where, ec);
  if (ec) return "create " + where.string() + ": " + ec.message();
  if (volume.empty_dir) {
    // Any user of any container may write an emptyDir, as kubelet's mode 0777.
    if (fresh) ::chmod(where.c_str(), 0777);
    if (volume.empty_dir->medium == "Memory") {
      std::string options = "mode=0777";
      if (!volume.empty_dir->size_limit.empty()) {
        auto bytes = config::parse_quantity_value(volume.empty_dir->size_limit);
        if (!bytes) return "sizeLimit: " + bytes.error().message;
        options += ",size=" + std::to_string(*bytes);
      }
      if (auto why = mount_tmpfs(where, options); !why.empty()) {
        return why + (::geteuid() != 0 ? " (medium Memory needs the daemon to run as root)" : "");
      }
    } else if (!volume.empty_dir->medium.empty()) {
      return "unsupported emptyDir medium \"" + volume.empty_dir->medium + "\"";
    }
    return "";
  }
  if (volume.secret) {
    // Secret bytes stay in memory when a tmpfs can be had; else (not root) on the disk, in
    // the daemon's state directory.
    if (auto why = mount_tmpfs(where, "mode=0755"); !why.empty() && !tmpfs_warned_) {
      tmpfs_warned_ = true;
      spdlog::warn("volumes: secret volumes are kept on disk: {}", why);
    }
  }
  return project(ns, where, volume);
}

std::string VolumeManager::project(const std::string& ns, const fs::path& where,
                                   const config::Volume& volume) {
  const bool secret = volume.secret.has_value();
  const std::string& name = secret ? volume.secret->secret_name : volume.config_map->name;
  const bool optional = secret ? volume.secret->optional : volume.config_map->optional;
  auto data = secret ? secret_data(store_, ns, name) : config_map_data(store_, ns, name);
  ConfigData empty;
  if (!data) {
    if (!(optional && data.error().code == 404)) return data.error().message;
  }
  const ConfigData& found = data ? *data : empty;
  auto files = secret ? project_files(found, volume.secret->items, volume.secret->default_mode,
                                      optional, "secret")
                      : project_files(found, volume.config_map->items,
                                      volume.config_map->default_mode, optional, "configmap");
  if (!files) return files.error().message;
  auto written = write_atomically(where, *files);
  if (!written) return written.error().message;
  if (written->changed) {
    spdlog::info("volumes: {} volume {} ({}/{}) updated", secret ? "secret" : "configMap",
                 volume.name, ns, name);
  }
  return "";
}

void VolumeManager::refresh(config::Kind kind, const std::string& ns, const std::string& name) {
  for (const auto& [uid, pod] : pods_) {
    if (pod.ns != ns) continue;
    for (const auto& v : pod.volumes) {
      if (!uses(v, kind, name)) continue;
      const fs::path where = volume_host_path(pod_volumes_dir(state_dir_, uid), v);
      if (auto why = project(ns, where, v); !why.empty()) {
        // The files keep their last version, as kubelet keeps them when the object is gone.
        spdlog::warn("volumes: pod {}/{} volume {}: {}", ns, pod.name, v.name, why);
      }
    }
  }
}

void VolumeManager::tear_down(const std::string& pod_uid) {
  pods_.erase(pod_uid);
  if (state_dir_.empty() || pod_uid.empty() || pod_uid.find('/') != std::string::npos ||
      pod_uid.starts_with(".")) {
    return;
  }
  const fs::path root = state_dir_ / "pods" / pod_uid;
  std::error_code ec;
  if (!fs::exists(root, ec)) return;
  for (const auto& point : mounts_under(root)) {
    if (::umount2(point.c_str(), MNT_DETACH) != 0) {
      spdlog::warn("volumes: {} is left in place: {}", root.string(),
                   errno_text("unmount", point, errno));
      return;
    }
  }
  fs::remove_all(root, ec);
  if (ec) spdlog::warn("volumes: remove {}: {}", root.string(), ec.message());
}

void VolumeManager::tear_down_except(const std::set<std::string>& live) {
  if (state_dir_.empty()) return;
  std::vector<std::string> gone;
  std::error_code ec;
  for (fs::directory_iterator it(state_dir_ / "pods", ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // The process engine's log folders are <ns>_<name>_<uid>; a uid has no '_'.
    if (name.find('_') != std::string::npos || !fs::exists(it->path() / "volumes")) continue;
    if (!live.contains(name)) gone.push_back(name);
  }
  for (const auto& uid : gone) {
    spdlog::info("volumes: removing the volumes of pod {}, which is gone", uid);
    tear_down(uid);
  }
}

}  // namespace skiff::controller
