// Base64 (RFC 4648, standard alphabet, padded) as the Kubernetes API encodes Secret data and
// ConfigMap binaryData. Decoding is strict, as Go's encoding/base64.StdEncoding: no whitespace,
// no missing padding, no bits set past the end.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace skiff::config {

std::string base64_encode(std::string_view bytes);
// nullopt: not valid standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace skiff::config
