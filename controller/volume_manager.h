// The kubelet's volume manager: makes a pod's volumes exist on the host before its
// containers start, keeps configMap / secret volumes in step with their objects, and removes
// everything when the pod goes.
//
// - emptyDir: a folder (mode 0777) under STATE_DIR/pods/<uid>/volumes/kubernetes.io~empty-dir/,
//   with a tmpfs mounted on it for `medium: Memory` (size: sizeLimit, if any). It lives exactly
//   as long as the pod: container restarts and daemon restarts keep it, deletion removes it.
// - hostPath: the path itself, after kubelet's `type` checks (DirectoryOrCreate and
//   FileOrCreate create it; the others fail with kubelet's "hostPath type check failed: ...").
// - configMap / secret: the object's keys projected by the atomic writer (atomic_writer.h);
//   secret volumes sit on a tmpfs when the daemon may mount one (root), so secret bytes never
//   reach the disk. A change of the object is written in place (watch), without a restart.
//
// A failure names the volume as kubelet does, for the pod's FailedMount event:
//   MountVolume.SetUp failed for volume "data" : hostPath type check failed: /x is not a file
// Secret values never appear in a message or a log line.
//
// Threading: everything runs on the controller loop; store watch events are posted to it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/objects.h"
#include "controller/config_sources.h"
#include "controller/engine/engine.h"
#include "controller/store.h"

namespace skiff::controller {

// Mounts by container name.
using PodMounts = std::map<std::string, std::vector<engine::Mount>>;

class VolumeManager {
 public:
  // state_dir empty: a pod with volumes fails to set up (the daemon always passes one).
  VolumeManager(boost::asio::io_context& io, Store& store, std::filesystem::path state_dir);
  ~VolumeManager();
  VolumeManager(const VolumeManager&) = delete;
  VolumeManager& operator=(const VolumeManager&) = delete;

  // Watches ConfigMaps and Secrets; a change re-projects the volumes made from them.
  void start();

  // Makes every volume of `pod` ready and returns what each container mounts. Idempotent:
  // called again (a retry, or a pod adopted after a daemon restart) it keeps emptyDir content
  // and tmpfs mounts and re-projects configMap / secret data. Errors: the FailedMount message.
  config::Result<PodMounts> set_up(const config::Pod& pod);

  // Unmounts and removes everything of the pod (STATE_DIR/pods/<uid>). Nothing under the
  // folder is removed while something is still mounted in it.
  void tear_down(const std::string& pod_uid);
  // tear_down for each pod folder whose uid is not in `live` (after a daemon restart: pods
  // deleted while it was down).
  void tear_down_except(const std::set<std::string>& live);

  // The configMap / secret volumes made from ns/name again (tests call it directly).
  void refresh(config::Kind kind, const std::string& ns, const std::string& name);

 private:
  struct PodVolumes {
    std::string ns, name;
    std::vector<config::Volume> volumes;
  };
  // "" when the volume is ready, else why not (without the "MountVolume.SetUp" prefix).
  std::string set_up_volume(const std::string& ns, const std::filesystem::path& dir,
                            const config::Volume& volume);
  std::string project(const std::string& ns, const std::filesystem::path& dir,
                      const config::Volume& volume);

  boost::asio::io_context& io_;
  Store& store_;
  std::filesystem::path state_dir_;
  std::map<std::string, PodVolumes> pods_;  // set up, by uid
  std::vector<uint64_t> watches_;
  bool tmpfs_warned_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller
