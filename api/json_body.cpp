#include "api/json_body.h"

namespace skiff::api {

size_t json_nesting(std::string_view text, size_t stop_after) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest && (deepest = depth) > stop_after) return deepest;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

config::Result<nlohmann::json> parse_json_body(const std::string& body, std::string_view what) {
  const std::string prefix = "malformed " + std::string(what) + ": ";
  if (json_nesting(body) > kMaxBodyNesting) {
    return config::ApiError::bad_request(prefix + "it nests arrays and objects deeper than " +
                                         std::to_string(kMaxBodyNesting) + " levels");
  }
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    std::string text = e.what();
    if (auto end = text.find("] "); text.rfind("[json.exception", 0) == 0 && end != text.npos) {
      text = text.substr(end + 2);
    }
    return config::ApiError::bad_request(prefix + text);
  }
}

}  // namespace skiff::api
