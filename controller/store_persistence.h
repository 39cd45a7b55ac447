// The store's objects on disk, so they survive a daemon restart (and a kill -9).
//
// Layout: one file per object, STATE_DIR/objects/<resource>/<namespace>/<name>.json (framed by
// object_file.h), plus STATE_DIR/objects/resource-version, the newest resourceVersion handed
// out, written on deletes (the only change that leaves no object behind to carry it).
//
// Why a file per object and not an append log: a write is one rename, so there is nothing to
// compact, a damaged file costs exactly one object (the rest still load), and an operator can
// read, back up or remove one object with ordinary tools. The price is two fsyncs per write
// (the file, then its folder), about 3 ms on the development machine's ext4, paid on the
// controller loop; skiff's write rate (objects and status changes of one node) stays far
// below what that allows.
//
// Every write is atomic and durable: write a temp file in the same folder, fsync it, rename
// it over the old one, fsync the folder. Files are mode 0600 and folders 0700, since objects
// may carry secrets.
//
// A file that fails its framing, does not parse, or names another object than its path is
// refused at load: it is moved aside as <file>.corrupt-<unix time> (kept for inspection, never
// loaded again), the load reports it with the file's path and why, and every other object
// loads. The daemon starts; what was in the refused file is gone from the API, as if deleted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"

namespace skiff::controller {

// Writes bytes to path atomically and durably (temp file, fsync, rename, fsync of the
// folder), creating missing folders (mode 0700). nullopt on success, else what failed.
std::optional<std::string> write_file_durably(const std::filesystem::path& path,
                                              std::string_view bytes, mode_t mode = 0600);
// Removes path and makes the removal durable (fsync of the folder). A missing file is fine.
std::optional<std::string> remove_file_durably(const std::filesystem::path& path);
// The whole content of a file, or nullopt with *error set.
std::optional<std::string> read_whole_file(const std::filesystem::path& path, std::string* error);

struct LoadedState {
  std::vector<config::Object> objects;
  uint64_t resource_version = 0;  // the newest resourceVersion handed out before
  // One line per file that was not loaded: "<path>: <why>; moved to <path>.corrupt-<time>".
  std::vector<std::string> refused;
};

class StatePersistence {
 public:
  explicit StatePersistence(std::filesystem::path state_dir);

  // Reads every stored object. Damaged files are quarantined (see above) and reported in
  // `refused`; leftover temp files of interrupted writes are removed.
  LoadedState load();
  // Writes one object (its kind, namespace and name give the path). nullopt on success.
  std::optional<std::string> save(const config::Object& object);
  // Removes one object's file and records resource_version as handed out.
  std::optional<std::string> erase(config::Kind kind, std::string_view ns, std::string_view name,
                                   uint64_t resource_version);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path path_of(config::Kind kind, std::string_view ns,
                                std::string_view name) const;

 private:
  std::filesystem::path root_;  // STATE_DIR/objects
};

}  // namespace skiff::controller
