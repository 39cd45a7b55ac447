// Writes a configMap / secret volume's files the way kubelet's AtomicWriter does
// (pkg/volume/util/atomic_writer.go), so a reader never sees half of an update:
//
//   <dir>/..2026_11_26_03_30_00.123456789/   the files of one version (a new folder each time)
//   <dir>/..data -> ..2026_11_26_03_30_00.123456789
//   <dir>/<key>  -> ..data/<key>             one link per top-level name, made once
//
// An update writes a new timestamped folder, points a fresh `..data_tmp` link at it and
// renames that over `..data` (rename(2) is atomic), then adds links for new names, removes
// links of names the payload no longer has, and removes the folders older than the one it
// replaced. A reader that opens <dir>/<key> resolves ..data once, so it reads the old version
// or the new one, whole; keeping the replaced folder until the next update means a reader
// caught between resolving ..data and opening the file does not get ENOENT.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "controller/volume_plan.h"

namespace skiff::controller {

struct AtomicWriteResult {
  bool changed = false;  // false: the folder already held exactly this payload
};

// Makes `dir` (created if missing) show exactly `payload`. Errors carry the failing path and
// the system's reason; on an error the previous version stays visible.
config::Result<AtomicWriteResult> write_atomically(const std::filesystem::path& dir,
                                                   const std::vector<ProjectedFile>& payload);

}  // namespace skiff::controller
