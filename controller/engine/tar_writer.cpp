#include "controller/engine/tar_writer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace skiff::controller::engine {
namespace fs = std::filesystem;

namespace {

constexpr size_t kBlock = 512;

// An octal field of `width` bytes: digits, then NUL.
void put_octal(char* field, size_t width, uint64_t value) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + (value & 7)));
    value >>= 3;
  } while (value != 0);
  if (digits.size() < width - 1) digits.insert(0, width - 1 - digits.size(), '0');
  std::memcpy(field, digits.data(), std::min(digits.size(), width - 1));
}

// One pax record: "LEN key=value\n", where LEN counts the whole record including itself.
std::string pax_record(std::string_view key, std::string_view value) {
  const size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t len = body + 1;
  while (std::to_string(len).size() + body != len) len = std::to_string(len).size() + body;
  return std::to_string(len) + " " + std::string(key) + "=" + std::string(value) + "\n";
}

}  // namespace

void TarWriter::pad() {
  if (out_.size() % kBlock != 0) out_.append(kBlock - out_.size() % kBlock, '\0');
}

void TarWriter::header(std::string_view path, char type, size_t size, unsigned mode,
                       std::string_view link) {
  if (path.size() > 100 || link.size() > 100) {
    std::string records;
    if (path.size() > 100) records += pax_record("path", path);
    if (link.size() > 100) records += pax_record("linkpath", link);
    header("PaxHeaders/entry", 'x', records.size(), 0644);
    out_ += records;
    pad();
  }
  std::array<char, kBlock> h{};
  std::memcpy(h.data(), path.data(), std::min<size_t>(path.size(), 100));
  put_octal(&h[100], 8, mode & 07777);
  put_octal(&h[108], 8, 0);  // uid
  put_octal(&h[116], 8, 0);  // gid
  put_octal(&h[124], 12, size);
  put_octal(&h[136], 12, 0);  // mtime: fixed, for reproducible archives
  h[156] = type;
  std::memcpy(&h[157], link.data(), std::min<size_t>(link.size(), 100));
  std::memcpy(&h[257], "ustar", 6);  // magic "ustar\0"
  std::memcpy(&h[263], "00", 2);     // version
  std::memcpy(&h[265], "root", 4);
  std::memcpy(&h[297], "root", 4);
  // The checksum is computed with its own field as eight spaces.
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  put_octal(&h[148], 7, sum);
  h[155] = ' ';
  out_.append(h.data(), h.size());
}

void TarWriter::add_file(std::string_view path, std::string_view content, unsigned mode) {
  header(path, '0', content.size(), mode);
  out_.append(content);
  pad();
}

void TarWriter::add_directory(std::string_view path, unsigned mode) {
  std::string p(path);
  if (p.empty() || p.back() != '/') p += '/';
  header(p, '5', 0, mode);
}

void TarWriter::add_symlink(std::string_view path, std::string_view target) {
  header(path, '2', 0, 0777, target);
}

std::string TarWriter::finish() {
  out_.append(2 * kBlock, '\0');
  std::string archive;
  archive.swap(out_);
  return archive;
}

config::Result<std::string> tar_directory(const fs::path& dir, size_t max_bytes) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return config::ApiError::bad_request(dir.string() + ": not a folder");
  }
  std::vector<fs::path> entries;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
       !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec) return config::ApiError::bad_request(dir.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  TarWriter tar;
  for (const auto& p : entries) {
    // Lexically: fs::relative would resolve a symlink to its target's name.
    const std::string rel = p.lexically_relative(dir).generic_string();
    const auto st = fs::symlink_status(p, ec);
    if (ec) return config::ApiError::bad_request(p.string() + ": " + ec.message());
    const auto mode = static_cast<unsigned>(st.permissions()) & 07777;
    if (fs::is_symlink(st)) {
      tar.add_symlink(rel, fs::read_symlink(p, ec).string());
    } else if (fs::is_directory(st)) {
      tar.add_directory(rel, mode);
    } else if (fs::is_regular_file(st)) {
      std::ifstream in(p, std::ios::binary);
      if (!in) return config::ApiError::bad_request(p.string() + ": cannot be read");
      std::stringstream content;
      if (fs::file_size(p, ec) > 0) content << in.rdbuf();
      tar.add_file(rel, content.str(), mode);
    }
    if (tar.size() > max_bytes) {
      return config::ApiError::bad_request("build context " + dir.string() + " is larger than " +
                                           std::to_string(max_bytes >> 20) + " MiB");
    }
  }
  return tar.finish();
}

}  // namespace skiff::controller::engine
