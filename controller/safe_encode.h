// Kubernetes' "safe" rendering of generated name parts (k8s.io/apimachinery/pkg/util/rand):
// an alphabet without vowels and look-alike characters, so generated names never spell words
// and are unambiguous to read back.
#pragma once

#include <string>
#include <string_view>

namespace skiff::controller {

inline constexpr std::string_view kSafeEncodeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

// SafeEncodeString: every byte b becomes kSafeEncodeAlphabet[b % 27]. Kubernetes applies it
// to the decimal rendering of the pod-template hash.
inline std::string safe_encode_string(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out += kSafeEncodeAlphabet[c % kSafeEncodeAlphabet.size()];
  return out;
}

// n characters drawn uniformly from the alphabet (generateName suffixes, "-x7k2p").
std::string random_safe_string(size_t n);
// A random RFC 4122 version 4 UUID, lower-case ("3f0c2b9e-8d1a-4c7e-9b2f-0a1b2c3d4e5f").
std::string random_uuid();

}  // namespace skiff::controller
