// A POSIX (pax) tar writer: what `skiff build` sends to dockerd as a build context and what the
// docker engine imports as its pause image. Pure: entries go into an in-memory archive.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "config/status.h"

namespace skiff::controller::engine {

// Entries are written in the order they are added. Paths longer than ustar's 100 bytes (and
// link targets likewise) get a pax extended header, so any length round-trips. Owner is 0:0
// and mtime is fixed, so the same inputs give the same bytes (docker's build cache hits).
class TarWriter {
 public:
  void add_file(std::string_view path, std::string_view content, unsigned mode = 0644);
  void add_directory(std::string_view path, unsigned mode = 0755);
  void add_symlink(std::string_view path, std::string_view target);
  // The archive with its two terminating zero blocks; the writer is empty afterwards.
  std::string finish();
  size_t size() const { return out_.size(); }

 private:
  void header(std::string_view path, char type, size_t size, unsigned mode,
              std::string_view link = {});
  void pad();
  std::string out_;
};

// Every regular file, folder and symlink under `dir`, by paths relative to it (sorted, so the
// archive is reproducible). Other file types are skipped; an unreadable file, or a context
// above `max_bytes`, is an error that names the path.
config::Result<std::string> tar_directory(const std::filesystem::path& dir,
                                          size_t max_bytes = size_t{1} << 30);

}  // namespace skiff::controller::engine
