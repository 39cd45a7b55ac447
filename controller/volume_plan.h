// Volume planning: where a pod's volumes live on the host, what each container mounts, which
// files a configMap / secret volume projects, and what a hostPath `type` asks of its path.
// Pure: no I/O (the host's answer to a stat is passed in), so every rule is unit-tested
// directly. controller/volume_manager.h does the I/O.
//
// The layout is kubelet's, under the daemon's state directory:
//   STATE_DIR/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
//   STATE_DIR/pods/<uid>/volumes/kubernetes.io~configmap/<name>
//   STATE_DIR/pods/<uid>/volumes/kubernetes.io~secret/<name>
// hostPath volumes are their own path.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"
#include "config/status.h"
#include "controller/engine/engine.h"

namespace skiff::controller {

inline constexpr std::string_view kEmptyDirPlugin = "kubernetes.io~empty-dir";
inline constexpr std::string_view kConfigMapPlugin = "kubernetes.io~configmap";
inline constexpr std::string_view kSecretPlugin = "kubernetes.io~secret";

// STATE_DIR/pods/<uid>/volumes
std::filesystem::path pod_volumes_dir(const std::filesystem::path& state_dir,
                                      std::string_view pod_uid);
// The plugin folder name of a volume ("" for hostPath and for a volume with no source).
std::string_view volume_plugin(const config::Volume& volume);
// Where the volume's content is on the host: its plugin folder, or the hostPath's path.
std::filesystem::path volume_host_path(const std::filesystem::path& volumes_dir,
                                       const config::Volume& volume);

// Why `path` cannot be a subPath or a projected item path: empty, absolute, or with a ".."
// component; nullopt when it is fine. Kubernetes' own words.
std::optional<std::string> relative_path_error(std::string_view path);

// The mounts of `container`, in the order the engine must make them: by mountPath depth, so a
// mount under another one's path is made after it (and lands inside that volume).
// configMap and secret volumes are always read-only, as kubelet mounts them. Errors
// (BadRequest) only for what validation refuses anyway: a mount naming no volume, a relative
// mountPath, a bad subPath.
config::Result<std::vector<engine::Mount>> plan_mounts(const config::PodSpec& spec,
                                                       const config::Container& container,
                                                       const std::filesystem::path& volumes_dir);

// One file of a configMap / secret volume.
struct ProjectedFile {
  std::string path;  // relative, may hold '/'
  std::string data;
  int mode = 0644;
  bool operator==(const ProjectedFile&) const = default;
};

// The files a configMap (kind "configmap") or secret (kind "secret") volume shows, as
// kubelet's MakePayload: every key under its own name with default_mode, or only the listed
// items at their paths (an item's mode, else default_mode). A listed key that the object lacks
// is an error (`configmap references non-existent config key: k`, `secret references
// non-existent secret key: k`) unless the volume is optional. Sorted by path.
config::Result<std::vector<ProjectedFile>> project_files(
    const std::map<std::string, std::string>& data, const std::vector<config::KeyToPath>& items,
    int default_mode, bool optional, std::string_view kind);

// What a hostPath volume's path is now on the host.
enum class HostFileType { kMissing, kDirectory, kFile, kSocket, kCharDevice, kBlockDevice, kOther };

// What the volume manager must do about a hostPath of the given `type` ("" = no check).
struct HostPathAction {
  enum class Type { kNone, kCreateDirectory, kCreateFile, kFail } type = Type::kNone;
  std::string message;  // kFail: kubelet's "hostPath type check failed: /x is not a directory"
};
HostPathAction host_path_action(std::string_view type, const std::string& path, HostFileType found);

}  // namespace skiff::controller
