// The pause image: what each pod's sandbox container runs to hold the pod's network namespace
// (Kubernetes' registry.k8s.io/pause). Nothing can be pulled, so the docker engine imports it
// itself: a 129-byte static x86-64 ELF that loops on pause(2).
#pragma once

#include <string>

namespace skiff::controller::engine::docker {

inline constexpr const char* kPauseImage = "skiff/pause:1";

// The image's root filesystem as a tar archive holding /pause. Empty on hosts other than
// x86-64 (the program is machine code).
std::string pause_rootfs_tar();

}  // namespace skiff::controller::engine::docker
