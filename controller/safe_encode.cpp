#include "controller/safe_encode.h"

#include <cstdint>
#include <cstdio>
#include <random>

namespace skiff::controller {
namespace {

// One generator per thread: the store lives on one loop, but tests and tools may not.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

}  // namespace

std::string random_safe_string(size_t n) {
  std::uniform_int_distribution<size_t> pick(0, kSafeEncodeAlphabet.size() - 1);
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out += kSafeEncodeAlphabet[pick(generator())];
  return out;
}

std::string random_uuid() {
  uint64_t hi = generator()();
  uint64_t lo = generator()();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // variant 10xx
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace skiff::controller
