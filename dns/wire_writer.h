// WireWriter: appends DNS wire data to a caller-owned buffer, compressing names against the names
// already written (RFC 1035 4.1.4). The offsets it can point at live in a fixed table, so writing
// a response does not allocate as long as the buffer has the capacity (the responder reserves
// its buffers once). Shared by encode_response() and the zone's direct answer path.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace skiff::dns {

class WireWriter {
 public:
  // Appends after what `out` holds. Writes go through a raw pointer into `out`, which is grown
  // ahead of them (value-initialised, so the bytes past the end are never garbage) and cut to the
  // written length by finish(), which must be called before `out` is used.
  explicit WireWriter(std::vector<uint8_t>& out) : out_(out), n_(out.size()), p_(out.data()) {}

  void finish() { out_.resize(n_); }

  std::size_t size() const { return n_; }
  std::size_t mark_names() const { return known_count_; }
  // Forgets everything written after `size` and the names remembered after `names`.
  void rollback(std::size_t size, std::size_t names) {
    n_ = size;
    known_count_ = names;
  }

  void u8(uint8_t v) {
    ensure(1);
    p_[n_++] = v;
  }
  void u16(uint16_t v) {
    ensure(2);
    p_[n_] = static_cast<uint8_t>(v >> 8);
    p_[n_ + 1] = static_cast<uint8_t>(v);
    n_ += 2;
  }
  void u32(uint32_t v) {
    ensure(4);
    p_[n_] = static_cast<uint8_t>(v >> 24);
    p_[n_ + 1] = static_cast<uint8_t>(v >> 16);
    p_[n_ + 2] = static_cast<uint8_t>(v >> 8);
    p_[n_ + 3] = static_cast<uint8_t>(v);
    n_ += 4;
  }
  void bytes(std::string_view b) {
    ensure(b.size());
    std::memcpy(p_ + n_, b.data(), b.size());
    n_ += b.size();
  }
  void put16(std::size_t at, uint16_t v) {
    p_[at] = static_cast<uint8_t>(v >> 8);
    p_[at + 1] = static_cast<uint8_t>(v);
  }

  // `wire` is an uncompressed, valid wire-form name. With `compress`, the longest suffix already
  // in the packet becomes a pointer and the labels written are remembered for later names.
  void name(std::string_view wire, bool compress) {
    if (!compress) {
      bytes(wire);
      return;
    }
    std::size_t i = 0;
    while (i < wire.size() && wire[i] != 0) {
      const auto ptr = find(wire.substr(i));
      if (ptr) {
        u16(static_cast<uint16_t>(0xC000 | *ptr));
        return;
      }
      remember(n_);
      const std::size_t len = static_cast<uint8_t>(wire[i]);
      bytes(wire.substr(i, 1 + len));
      i += 1 + len;
    }
    u8(0);
  }

  // Remembers label starts of an uncompressed name already written at `at`.
  void remember_name_at(std::size_t at) {
    while (at < n_ && p_[at] != 0 && (p_[at] & 0xC0) == 0) {
      remember(at);
      at += 1 + std::size_t{p_[at]};
    }
  }

 private:
  static constexpr std::size_t kKnownMax = 128;

  void ensure(std::size_t k) {
    if (n_ + k <= out_.size()) return;
    out_.resize(std::max({out_.size() * 2, n_ + k, std::size_t{512}}));
    p_ = out_.data();
  }

  void remember(std::size_t at) {
    if (at < 0x4000 && known_count_ < kKnownMax) known_[known_count_++] = static_cast<uint16_t>(at);
  }

  static uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
  }

  std::optional<uint16_t> find(std::string_view suffix) const {
    for (std::size_t k = 0; k < known_count_; ++k) {
      if (equal_at(known_[k], suffix)) return known_[k];
    }
    return std::nullopt;
  }

  // Whether the (possibly compressed) name in our own packet at `at` equals `suffix`, ignoring
  // ASCII case. Our packet only holds backward pointers, the step bound is belt and braces.
  bool equal_at(std::size_t at, std::string_view suffix) const {
    std::size_t i = 0;
    for (int steps = 0; steps < 256; ++steps) {
      if (at >= n_) return false;
      const uint8_t len = p_[at];
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= n_) return false;
        at = (std::size_t{len & 0x3Fu} << 8) | p_[at + 1];
        continue;
      }
      if (i >= suffix.size() || static_cast<uint8_t>(suffix[i]) != len) return false;
      if (len == 0) return true;
      if (at + 1 + len > n_ || i + 1 + len > suffix.size()) return false;
      for (std::size_t j = 1; j <= len; ++j) {
        if (lower(p_[at + j]) != lower(static_cast<uint8_t>(suffix[i + j]))) return false;
      }
      at += 1 + std::size_t{len};
      i += 1 + std::size_t{len};
    }
    return false;
  }

  std::vector<uint8_t>& out_;
  std::size_t n_;  // bytes written; out_.size() may be larger until finish()
  uint8_t* p_;     // out_.data()
  std::array<uint16_t, kKnownMax> known_{};
  std::size_t known_count_ = 0;
};

}  // namespace skiff::dns
