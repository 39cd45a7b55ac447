#include "config/yaml_emit.h"

#include <string_view>

namespace skiff::config {
namespace {

using nlohmann::json;

bool looks_like_number(std::string_view s) {
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return false;
  // Anything starting like a number (digits, ".5", "0x1F", "1e3") is quoted: cheaper than
  // matching every YAML 1.1/1.2 numeric form, and always safe.
  return (s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && i + 1 < s.size());
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::string_view kReserved[] = {
      "true", "false", "True", "False", "TRUE", "FALSE", "null", "Null", "NULL",  "~",
      "yes",  "no",    "Yes",  "No",    "YES",  "NO",    "on",   "On",   "ON",    "off",
      "Off",  "OFF",   "y",    "n",     "Y",    "N",     ".inf", ".nan", "-.inf", "<<"};
  for (auto r : kReserved) {
    if (s == r) return true;
  }
  if (looks_like_number(s)) return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@` ").find(s.front()) != std::string_view::npos) {
    return true;
  }
  if (s.back() == ' ' || s.back() == ':') return true;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return true;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// JSON's string escapes are valid in YAML double-quoted scalars.
std::string scalar(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return needs_quotes(s) ? json(s).dump() : s;
  }
  return v.dump();
}

bool is_inline(const json& v) { return !v.is_structured() || v.empty(); }

void emit(const json& v, int indent, std::string& out);

void emit_object(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += pad + scalar(json(it.key())) + ":";
    const json& child = it.value();
    if (is_inline(child)) {
      out += " " + (child.is_structured() ? child.dump() : scalar(child)) + "\n";
    } else {
      out += "\n";
      emit(child, child.is_array() ? indent : indent + 2, out);
    }
  }
}

void emit_array(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  for (const json& child : v) {
    if (is_inline(child)) {
      out += pad + "- " + (child.is_structured() ? child.dump() : scalar(child)) + "\n";
      continue;
    }
    // Render the item two deeper, then put the dash into the first line's indentation.
    std::string nested;
    emit(child, indent + 2, nested);
    nested.replace(0, static_cast<size_t>(indent) + 2, pad + "- ");
    out += nested;
  }
}

void emit(const json& v, int indent, std::string& out) {
  if (v.is_object()) {
    emit_object(v, indent, out);
  } else if (v.is_array()) {
    emit_array(v, indent, out);
  } else {
    out += std::string(static_cast<size_t>(indent), ' ') + scalar(v) + "\n";
  }
}

}  // namespace

std::string to_yaml(const json& value) {
  if (is_inline(value)) return (value.is_structured() ? value.dump() : scalar(value)) + "\n";
  std::string out;
  emit(value, 0, out);
  return out;
}

}  // namespace skiff::config
