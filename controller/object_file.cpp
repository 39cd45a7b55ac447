#include "controller/object_file.h"

#include <fmt/format.h>

#include <boost/crc.hpp>
#include <charconv>

namespace skiff::controller {
namespace {

constexpr std::string_view kMagic = "skiff-state/1 ";
// The header is short; anything longer without a newline is not ours.
constexpr size_t kMaxHeader = 64;

uint32_t crc32(std::string_view data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

}  // namespace

std::string frame_state_file(std::string_view payload) {
  std::string out = fmt::format("{}{} {:08x}\n", kMagic, payload.size(), crc32(payload));
  out.append(payload);
  return out;
}

std::variant<std::string, UnframeError> unframe_state_file(std::string_view bytes) {
  if (bytes.empty()) return UnframeError{"empty file (a write that never completed)"};
  if (!bytes.starts_with(kMagic)) {
    return UnframeError{"not a skiff state file (no \"skiff-state/1\" header)"};
  }
  const size_t eol = bytes.find('\n');
  if (eol == std::string_view::npos || eol > kMaxHeader) {
    return UnframeError{"truncated or damaged header"};
  }
  std::string_view header = bytes.substr(kMagic.size(), eol - kMagic.size());
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) return UnframeError{"damaged header: no checksum"};
  std::string_view len_text = header.substr(0, space);
  std::string_view crc_text = header.substr(space + 1);
  uint64_t length = 0;
  uint32_t crc = 0;
  auto [lp, lec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  auto [cp, cec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16);
  if (len_text.empty() || lec != std::errc() || lp != len_text.data() + len_text.size()) {
    return UnframeError{"damaged header: bad length"};
  }
  if (crc_text.size() != 8 || cec != std::errc() || cp != crc_text.data() + crc_text.size()) {
    return UnframeError{"damaged header: bad checksum field"};
  }
  std::string_view payload = bytes.substr(eol + 1);
  if (payload.size() < length) {
    return UnframeError{
        fmt::format("truncated: the header announces {} bytes, {} follow", length, payload.size())};
  }
  if (payload.size() > length) {
    return UnframeError{fmt::format("{} bytes after the announced {}-byte payload",
                                    payload.size() - length, length)};
  }
  const uint32_t actual = crc32(payload);
  if (actual != crc) {
    return UnframeError{fmt::format(
        "checksum mismatch: the header says {:08x}, the content has {:08x}", crc, actual)};
  }
  return std::string(payload);
}

std::string path_component(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(name[i]);
    const bool plain =
        (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || (ch == '.' && i > 0);
    if (plain) {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  if (out.empty()) out = "%00";  // never an empty component
  return out;
}

}  // namespace skiff::controller
