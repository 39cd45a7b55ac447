// The framing of every file skiff keeps in its state directory (stored objects, container
// records): a one-line header with the payload's length and CRC-32, then the payload.
//
//   skiff-state/1 <length> <crc32, 8 hex digits>\n<payload>
//
// A write cut short (a crash between write and fsync, a full disk) leaves fewer bytes than the
// header announces, and a flipped bit fails the checksum: either way the file is refused as a
// whole, never read half. Pure: no I/O, unit-tested directly.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace skiff::controller {

// header + payload, ready to be written.
std::string frame_state_file(std::string_view payload);

// The payload, or why the bytes are not a whole, intact state file ("truncated: the header
// announces 120 bytes, 57 follow", "checksum mismatch: ...", "not a skiff state file").
struct UnframeError {
  std::string message;
};
std::variant<std::string, UnframeError> unframe_state_file(std::string_view bytes);

// A name as one safe path component: [a-z0-9.-] kept as is, everything else (and a leading
// '.') as %XX, so no object name can reach outside its folder or collide with a temp file.
std::string path_component(std::string_view name);

}  // namespace skiff::controller
