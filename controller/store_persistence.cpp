#include "controller/store_persistence.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "config/kinds.h"
#include "config/objects_json.h"
#include "controller/object_file.h"
#include "controller/safe_encode.h"

namespace skiff::controller {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffix = ".json";
constexpr const char* kVersionFile = "resource-version";

std::string errno_text(std::string_view what, const fs::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}

std::optional<std::string> fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("open", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    errno = err;
    return errno_text("fsync", dir);
  }
  return std::nullopt;
}

std::optional<std::string> make_dirs(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return std::nullopt;
  // Created one level at a time so each new folder gets 0700 whatever the umask says.
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (auto e = make_dirs(dir.parent_path())) return e;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errno_text("mkdir", dir);
  // The new entry must survive a crash too.
  if (dir.has_parent_path()) return fsync_dir(dir.parent_path());
  return std::nullopt;
}

std::string now_suffix() {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

}  // namespace

std::optional<std::string> write_file_durably(const fs::path& path, std::string_view bytes,
                                              mode_t mode) {
  const fs::path dir = path.parent_path();
  if (auto e = make_dirs(dir)) return e;
  // Temp names start with '.', which no encoded object name does (object_file.h).
  const fs::path tmp =
      dir / ("." + path.filename().string() + "." + random_safe_string(6) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno_text("create", tmp);
  auto fail = [&](std::string_view what) {
    std::string msg = errno_text(what, tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return msg;
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return fail("chmod");  // the umask must not widen it
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    std::string msg = errno_text("close", tmp);
    ::unlink(tmp.c_str());
    return msg;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = errno_text("rename", tmp);
    ::unlink(tmp.c_str());
    return msg;
  }
  return fsync_dir(dir);
}

std::optional<std::string> remove_file_durably(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return errno_text("remove", path);
  }
  return fsync_dir(path.parent_path());
}

std::optional<std::string> read_whole_file(const fs::path& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

StatePersistence::StatePersistence(fs::path state_dir) : root_(std::move(state_dir) / "objects") {}

fs::path StatePersistence::path_of(config::Kind kind, std::string_view ns,
                                   std::string_view name) const {
  return root_ / std::string(config::kind_info(kind).resource) / path_component(ns) /
         (path_component(name) + std::string(kSuffix));
}

std::optional<std::string> StatePersistence::save(const config::Object& object) {
  const auto& m = config::meta(object);
  return write_file_durably(path_of(config::kind_of(object), m.namespace_, m.name),
                            frame_state_file(config::to_json(object).dump()));
}

std::optional<std::string> StatePersistence::erase(config::Kind kind, std::string_view ns,
                                                   std::string_view name,
                                                   uint64_t resource_version) {
  // The version first: if the removal then fails, the object reloads and nothing is reused.
  if (auto e = write_file_durably(root_ / kVersionFile,
                                  frame_state_file(std::to_string(resource_version)))) {
    return e;
  }
  return remove_file_durably(path_of(kind, ns, name));
}

LoadedState StatePersistence::load() {
  LoadedState out;
  auto refuse = [&](const fs::path& path, const std::string& why) {
    fs::path aside = path;
    aside += ".corrupt-" + now_suffix();
    std::error_code ec;
    fs::rename(path, aside, ec);
    out.refused.push_back(
        ec ? fmt::format("{}: {} (could not move it aside: {})", path.string(), why, ec.message())
           : fmt::format("{}: {}; moved to {}", path.string(), why, aside.filename().string()));
  };

  std::string error;
  const fs::path version_path = root_ / kVersionFile;
  if (fs::exists(version_path)) {
    auto bytes = read_whole_file(version_path, &error);
    auto payload = bytes ? unframe_state_file(*bytes) : UnframeError{error};
    uint64_t v = 0;
    if (auto* text = std::get_if<std::string>(&payload)) {
      auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
      if (ec != std::errc() || p != text->data() + text->size()) {
        refuse(version_path, "not a resourceVersion");
      } else {
        out.resource_version = v;
      }
    } else {
      refuse(version_path, std::get<UnframeError>(payload).message);
    }
  }

  for (config::Kind kind : config::kAllKinds) {
    const fs::path kind_dir = root_ / std::string(config::kind_info(kind).resource);
    std::error_code ec;
    for (fs::directory_iterator ns_it(kind_dir, ec), end; !ec && ns_it != end;
         ns_it.increment(ec)) {
      if (!ns_it->is_directory()) continue;
      std::vector<fs::path> files;
      std::error_code fec;
      for (fs::directory_iterator f(ns_it->path(), fec); !fec && f != end; f.increment(fec)) {
        files.push_back(f->path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& path : files) {
        const std::string file = path.filename().string();
        if (file.starts_with(".") && file.ends_with(".tmp")) {
          // A write that never reached its rename: the previous version (if any) stands.
          std::error_code rec;
          fs::remove(path, rec);
          continue;
        }
        if (!file.ends_with(kSuffix)) continue;  // e.g. an earlier .corrupt-<time>
        auto bytes = read_whole_file(path, &error);
        if (!bytes) {
          refuse(path, "unreadable: " + error);
          continue;
        }
        auto payload = unframe_state_file(*bytes);
        if (auto* e = std::get_if<UnframeError>(&payload)) {
          refuse(path, e->message);
          continue;
        }
        const auto json = nlohmann::json::parse(std::get<std::string>(payload), nullptr, false);
        if (json.is_discarded()) {
          refuse(path, "the checksum holds but the content is not JSON");
          continue;
        }
        auto object = config::object_from_json(kind, json);
        if (!object) {
          refuse(path, "not a valid " + std::string(config::kind_info(kind).name) + ": " +
                           object.error().message);
          continue;
        }
        const auto& m = config::meta(*object);
        if (path_of(kind, m.namespace_, m.name) != path) {
          refuse(path,
                 fmt::format("holds {}/{}, which belongs in another file", m.namespace_, m.name));
          continue;
        }
        out.resource_version = std::max(out.resource_version, m.resource_version);
        out.objects.push_back(std::move(*object));
      }
    }
  }
  return out;
}

}  // namespace skiff::controller
