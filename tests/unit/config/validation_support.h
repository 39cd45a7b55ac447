// What the validation tests share: the messages a JSON document gets from the manifest
// pipeline, as "field: message" lines, and a lookup in them.
#pragma once

#include <string>
#include <vector>

#include "config/objects_json.h"
#include "config/validation.h"

namespace skiff::test {

inline std::vector<std::string> problems(const nlohmann::json& doc) {
  std::vector<std::string> out;
  for (const auto& d : config::decode_object(doc).diagnostics) out.push_back(d.to_string());
  return out;
}

inline bool has(const std::vector<std::string>& all, const std::string& want) {
  for (const auto& s : all) {
    if (s == want) return true;
  }
  return false;
}

}  // namespace skiff::test
