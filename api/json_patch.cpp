#include "api/json_patch.h"

#include <string>

namespace skiff::api {
namespace {

using config::ApiError;
using nlohmann::json;

// nlohmann's messages start with "[json.exception.out_of_range.403] "; users need the rest.
std::string without_prefix(const std::string& what) {
  if (auto end = what.find("] "); what.rfind("[json.exception", 0) == 0 && end != what.npos) {
    return what.substr(end + 2);
  }
  return what;
}

// Decoding of one operation, as evanphx/json-patch's DecodePatch and Apply check it: the op is
// known, path (and from) are strings, value is present where the op needs it.
std::string check_operation(const json& op, size_t index) {
  const std::string at = "operation " + std::to_string(index) + ": ";
  if (!op.is_object()) return at + "expected an object, got " + std::string(op.type_name());
  auto name = op.find("op");
  if (name == op.end() || !name->is_string()) return at + "missing or non-string \"op\"";
  const auto& o = name->get_ref<const std::string&>();
  if (o != "add" && o != "remove" && o != "replace" && o != "move" && o != "copy" && o != "test") {
    return at + "unexpected kind of operation \"" + o + "\"";
  }
  auto path = op.find("path");
  if (path == op.end() || !path->is_string()) return at + "missing or non-string \"path\"";
  if ((o == "add" || o == "replace" || o == "test") && !op.contains("value")) {
    return at + "\"" + o + "\" needs a \"value\"";
  }
  if (o == "move" || o == "copy") {
    auto from = op.find("from");
    if (from == op.end() || !from->is_string()) {
      return at + "\"" + o + "\" needs a string \"from\"";
    }
  }
  return {};
}

}  // namespace

json merge_patch(json original, const json& patch) {
  original.merge_patch(patch);
  return original;
}

config::Result<json> json_patch(const json& original, const json& patch) {
  if (!patch.is_array()) {
    return ApiError::bad_request("a JSON patch must be an array of operations, got " +
                                 std::string(patch.type_name()));
  }
  for (size_t i = 0; i < patch.size(); ++i) {
    if (auto error = check_operation(patch[i], i); !error.empty()) {
      return ApiError::bad_request("invalid JSON patch: " + error);
    }
  }
  try {
    return original.patch(patch);
  } catch (const json::exception& e) {
    // A failed "test", a path that does not exist or a malformed pointer: the patch was read
    // but cannot be applied to this object.
    std::string why = without_prefix(e.what());
    // nlohmann words a failed "test" as "unsuccessful: <the operation>".
    if (e.id == 501 && why.rfind("unsuccessful: ", 0) == 0) {
      why = "test failed: " + why.substr(14);
    }
    return ApiError{422, "Invalid", "the JSON patch could not be applied: " + why, {}};
  }
}

}  // namespace skiff::api
