#include "config/base64.h"
#include "config/objects_json_internal.h"

namespace skiff::config {

namespace {

// Base64 values (Secret data, ConfigMap binaryData) are decoded on the way in; a bad one is
// refused with its key, as the API server does.
void read_base64_map(const json& o, const std::string& p, const char* key, StringMap& out) {
  const json* j = find(o, key);
  if (j == nullptr) return;
  const std::string path = at(p, key);
  expect_object(*j, path);
  out.clear();
  for (auto it = j->begin(); it != j->end(); ++it) {
    std::string text;
    read(it.value(), at(path, it.key()), text);
    auto bytes = base64_decode(text);
    if (!bytes) {
      throw ApiError::bad_request(at(path, it.key()) + ": illegal base64 data");
    }
    out[it.key()] = std::move(*bytes);
  }
}

}  // namespace

namespace json_detail {

void read(const json& j, const std::string& p, ConfigMap& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "data", v.data);
  read_base64_map(j, p, "binaryData", v.binary_data);
  field(j, p, "immutable", v.immutable);
}

// stringData is merged into data (its values win), as the API server does on write, so the
// stored object and every reply carry data only.
void read(const json& j, const std::string& p, Secret& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "type", v.type);
  read_base64_map(j, p, "data", v.data);
  field(j, p, "stringData", v.string_data);
  for (auto& [key, value] : v.string_data) v.data[key] = std::move(value);
  v.string_data.clear();
  field(j, p, "immutable", v.immutable);
}

}  // namespace json_detail

namespace {
json base64_map(const StringMap& bytes) {
  json o = json::object();
  for (const auto& [key, value] : bytes) o[key] = base64_encode(value);
  return o;
}
}  // namespace

void to_json(json& j, const ConfigMap& v) {
  j = json::object();
  j["kind"] = ConfigMap::kKind;
  j["apiVersion"] = ConfigMap::kApiVersion;
  j["metadata"] = v.metadata;
  put(j, "data", v.data);
  if (!v.binary_data.empty()) j["binaryData"] = base64_map(v.binary_data);
  put_true(j, "immutable", v.immutable);
}
void from_json(const json& j, ConfigMap& v) { read(j, "", v); }

void to_json(json& j, const Secret& v) {
  j = json::object();
  j["kind"] = Secret::kKind;
  j["apiVersion"] = Secret::kApiVersion;
  j["metadata"] = v.metadata;
  j["type"] = v.type;
  if (!v.data.empty()) j["data"] = base64_map(v.data);
  put_true(j, "immutable", v.immutable);
}
void from_json(const json& j, Secret& v) { read(j, "", v); }

}  // namespace skiff::config
