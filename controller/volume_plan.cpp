#include "controller/volume_plan.h"

#include <algorithm>

#include "config/validation.h"

namespace skiff::controller {
namespace fs = std::filesystem;

fs::path pod_volumes_dir(const fs::path& state_dir, std::string_view pod_uid) {
  return state_dir / "pods" / std::string(pod_uid) / "volumes";
}

std::string_view volume_plugin(const config::Volume& volume) {
  if (volume.empty_dir) return kEmptyDirPlugin;
  if (volume.config_map) return kConfigMapPlugin;
  if (volume.secret) return kSecretPlugin;
  return {};
}

fs::path volume_host_path(const fs::path& volumes_dir, const config::Volume& volume) {
  if (volume.host_path) return fs::path(volume.host_path->path);
  return volumes_dir / std::string(volume_plugin(volume)) / volume.name;
}

std::optional<std::string> relative_path_error(std::string_view path) {
  if (path.empty()) return "must not be empty";
  auto errors = config::local_descending_path_errors(path);
  if (!errors.empty()) return errors.front();
  return std::nullopt;
}

namespace {

size_t depth(std::string_view path) {
  size_t n = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '/' && i + 1 < path.size() && path[i + 1] != '/') ++n;
  }
  return n;
}

}  // namespace

config::Result<std::vector<engine::Mount>> plan_mounts(const config::PodSpec& spec,
                                                       const config::Container& container,
                                                       const fs::path& volumes_dir) {
  std::vector<engine::Mount> out;
  for (const auto& vm : container.volume_mounts) {
    auto volume = std::find_if(spec.volumes.begin(), spec.volumes.end(),
                               [&](const config::Volume& v) { return v.name == vm.name; });
    const std::string what = "container " + container.name + ": volumeMount " + vm.name;
    if (volume == spec.volumes.end()) {
      return config::ApiError::bad_request(what + ": no volume of that name in the pod");
    }
    if (volume_plugin(*volume).empty() && !volume->host_path) {
      return config::ApiError::bad_request(what + ": the volume has no source");
    }
    if (vm.mount_path.empty() || vm.mount_path.front() != '/') {
      return config::ApiError::bad_request(what + ": mountPath \"" + vm.mount_path +
                                           "\" must be an absolute path");
    }
    fs::path source = volume_host_path(volumes_dir, *volume);
    if (!vm.sub_path.empty()) {
      if (auto e = relative_path_error(vm.sub_path)) {
        return config::ApiError::bad_request(what + ": subPath \"" + vm.sub_path + "\" " + *e);
      }
      source /= vm.sub_path;
    }
    engine::Mount m;
    m.source = source.lexically_normal().string();
    m.target = fs::path(vm.mount_path).lexically_normal().string();
    if (m.target.size() > 1 && m.target.back() == '/') m.target.pop_back();
    m.read_only = vm.read_only || volume->config_map || volume->secret;
    m.tmpfs = volume->empty_dir && volume->empty_dir->medium == "Memory";
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const engine::Mount& a, const engine::Mount& b) {
    return depth(a.target) < depth(b.target);
  });
  return out;
}

config::Result<std::vector<ProjectedFile>> project_files(
    const std::map<std::string, std::string>& data, const std::vector<config::KeyToPath>& items,
    int default_mode, bool optional, std::string_view kind) {
  std::vector<ProjectedFile> out;
  if (items.empty()) {
    for (const auto& [key, value] : data) out.push_back(ProjectedFile{key, value, default_mode});
  } else {
    for (const auto& item : items) {
      auto it = data.find(item.key);
      if (it == data.end()) {
        if (optional) continue;
        const std::string what = kind == "secret" ? "secret" : "config";
        return config::ApiError::bad_request(std::string(kind) + " references non-existent " +
                                             what + " key: " + item.key);
      }
      if (auto e = relative_path_error(item.path)) {
        return config::ApiError::bad_request("item path \"" + item.path + "\" " + *e);
      }
      out.push_back(ProjectedFile{fs::path(item.path).lexically_normal().string(), it->second,
                                  item.mode.value_or(default_mode)});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ProjectedFile& a, const ProjectedFile& b) { return a.path < b.path; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].path == out[i - 1].path) {
      return config::ApiError::bad_request("two items project to the same path \"" + out[i].path +
                                           "\"");
    }
  }
  for (auto& f : out) f.mode &= 07777;
  return out;
}

HostPathAction host_path_action(std::string_view type, const std::string& path,
                                HostFileType found) {
  using T = HostPathAction::Type;
  auto fail = [&](std::string_view what) {
    return HostPathAction{T::kFail,
                          "hostPath type check failed: " + path + " is not " + std::string(what)};
  };
  if (type.empty()) return {};
  if (type == "DirectoryOrCreate" || type == "Directory") {
    if (type == "DirectoryOrCreate" && found == HostFileType::kMissing) {
      return {T::kCreateDirectory, {}};
    }
    return found == HostFileType::kDirectory ? HostPathAction{} : fail("a directory");
  }
  if (type == "FileOrCreate" || type == "File") {
    if (type == "FileOrCreate" && found == HostFileType::kMissing) return {T::kCreateFile, {}};
    return found == HostFileType::kFile ? HostPathAction{} : fail("a file");
  }
  if (type == "Socket") {
    return found == HostFileType::kSocket ? HostPathAction{} : fail("a socket file");
  }
  if (type == "CharDevice") {
    return found == HostFileType::kCharDevice ? HostPathAction{} : fail("a character device");
  }
  if (type == "BlockDevice") {
    return found == HostFileType::kBlockDevice ? HostPathAction{} : fail("a block device");
  }
  return {T::kFail, std::string(type) + " is an invalid volume type"};
}

}  // namespace skiff::controller
