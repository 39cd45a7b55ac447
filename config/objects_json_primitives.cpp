#include <limits>

#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

// ---- Reading: every reader takes the field path so a wrong type names where it was. ----------

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::null:
      return "null";
    default:
      return "binary";
  }
}

[[noreturn]] void type_error(const std::string& path, const char* expected, const json& got) {
  throw ApiError::bad_request(path + ": expected " + expected + ", got " + type_name(got));
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// Null and absent are the same, as in the Kubernetes API.
const json* find(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

void expect_object(const json& j, const std::string& path) {
  if (!j.is_object()) type_error(path.empty() ? "object" : path, "object", j);
}

int64_t read_int64(const json& j, const std::string& p) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
      throw ApiError::bad_request(p + ": integer out of range");
    }
    return j.get<int64_t>();
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    // The range first: converting a double outside int64's range is undefined behaviour.
    if (d > -9.2e18 && d < 9.2e18 && d == static_cast<double>(static_cast<int64_t>(d))) {
      return static_cast<int64_t>(d);
    }
  }
  type_error(p, "integer", j);
}

void read(const json& j, const std::string& p, std::string& out) {
  if (!j.is_string()) type_error(p, "string", j);
  out = j.get<std::string>();
}
void read(const json& j, const std::string& p, int64_t& out) { out = read_int64(j, p); }
void read(const json& j, const std::string& p, int& out) {
  int64_t v = read_int64(j, p);
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    throw ApiError::bad_request(p + ": integer " + std::to_string(v) + " out of range");
  }
  out = static_cast<int>(v);
}
void read(const json& j, const std::string& p, bool& out) {
  if (!j.is_boolean()) type_error(p, "boolean", j);
  out = j.get<bool>();
}
void read(const json& j, const std::string& p, StringMap& out) {
  expect_object(j, p);
  out.clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    read(it.value(), at(p, it.key()), out[it.key()]);
  }
}
void read(const json& j, const std::string& p, IntOrString& out) {
  if (j.is_string()) {
    out = IntOrString::of(j.get<std::string>());
  } else if (j.is_number()) {
    int v = 0;
    read(j, p, v);
    out = IntOrString::of(v);
  } else {
    type_error(p, "integer or string", j);
  }
}

// A quantity may be written as a number in YAML (`cpu: 1`, `cpu: 0.5`); it is kept as text.
void read_quantity(const json& j, const std::string& p, std::string& out) {
  if (j.is_string()) {
    out = j.get<std::string>();
  } else if (j.is_number()) {
    out = j.dump();
  } else {
    type_error(p, "quantity (string or number)", j);
  }
}

void read_quantities(const json& o, const std::string& p, const char* key, StringMap& out) {
  const json* j = find(o, key);
  if (j == nullptr) return;
  const std::string path = at(p, key);
  expect_object(*j, path);
  out.clear();
  for (auto it = j->begin(); it != j->end(); ++it) {
    if (it.value().is_null()) continue;
    read_quantity(it.value(), at(path, it.key()), out[it.key()]);
  }
}

// ---- Writing: empty strings, maps and lists are left out, as the API server's omitempty. -----

void put(json& o, const char* key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}
void put(json& o, const char* key, const StringMap& v) {
  if (!v.empty()) o[key] = v;
}
void put(json& o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = v;
}
void put_nonzero(json& o, const char* key, int64_t v) {
  if (v != 0) o[key] = v;
}
void put_true(json& o, const char* key, bool v) {
  if (v) o[key] = true;
}
json int_or_string(const IntOrString& v) {
  return v.is_int ? json(v.int_value) : json(v.str_value);
}

}  // namespace json_detail

}  // namespace skiff::config
