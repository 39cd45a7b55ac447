// JSON to block-style YAML, for `skiff get -o yaml`: keys in the JSON's order, sequences under
// a key not indented (kubectl's style), and strings quoted exactly when a YAML reader would
// otherwise take them for something else ("true", "5000", "", "a: b", "#x", ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace skiff::config {

std::string to_yaml(const nlohmann::json& value);

}  // namespace skiff::config
