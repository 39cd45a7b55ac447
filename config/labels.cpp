#include "config/labels.h"

#include <algorithm>

namespace skiff::config {

bool selector_matches(const LabelSelector& selector, const StringMap& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& r : selector.match_expressions) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in_values =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.op == "In") {
      if (!in_values) return false;
    } else if (r.op == "NotIn") {
      if (in_values) return false;  // an absent key satisfies NotIn, as in Kubernetes
    } else if (r.op == "Exists") {
      if (!has) return false;
    } else if (r.op == "DoesNotExist") {
      if (has) return false;
    } else {
      return false;  // an unknown operator never matches (validation rejects it earlier)
    }
  }
  return true;
}

bool selector_matches(const StringMap& selector, const StringMap& labels) {
  if (selector.empty()) return false;
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

std::string labels_to_string(const StringMap& labels) {
  std::string out;
  for (const auto& [key, value] : labels) {
    if (!out.empty()) out += ',';
    out += key + "=" + value;
  }
  return out;
}

std::string selector_to_string(const LabelSelector& selector) {
  std::string out = labels_to_string(selector.match_labels);
  for (const auto& r : selector.match_expressions) {
    if (!out.empty()) out += ',';
    std::string values;
    for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
    if (r.op == "In") {
      out += r.key + " in (" + values + ")";
    } else if (r.op == "NotIn") {
      out += r.key + " notin (" + values + ")";
    } else if (r.op == "Exists") {
      out += r.key;
    } else if (r.op == "DoesNotExist") {
      out += "!" + r.key;
    } else {
      out += r.key + " " + r.op + " (" + values + ")";
    }
  }
  return out;
}

}  // namespace skiff::config
