#include "api/field_validation.h"

#include <set>

namespace skiff::api {

using config::ApiError;

config::Result<FieldValidation> parse_field_validation(
    const std::map<std::string, std::string>& query, std::string_view options_kind) {
  auto it = query.find("fieldValidation");
  if (it == query.end() || it->second.empty() || it->second == "Warn") {
    return FieldValidation::kWarn;
  }
  if (it->second == "Ignore") return FieldValidation::kIgnore;
  if (it->second == "Strict") return FieldValidation::kStrict;
  // The API server's field.NotSupported on the options object (values matched exactly).
  std::string value;
  for (char c : it->second) {
    if (c == '"' || c == '\\') value += '\\';
    value += c;
  }
  const std::string detail = "fieldValidation: Unsupported value: \"" + value +
                             "\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"";
  return ApiError::invalid(std::string(options_kind) + ".meta.k8s.io \"\" is invalid: " + detail,
                           {{"fieldValidation", "FieldValueNotSupported",
                             detail.substr(sizeof("fieldValidation: ") - 1)}});
}

bool is_unknown_field(const config::Diagnostic& diagnostic) {
  return diagnostic.severity == config::Diagnostic::Severity::kWarning &&
         diagnostic.message.rfind("unknown field ", 0) == 0;
}

std::vector<std::string> duplicate_fields(const std::string& json_text) {
  std::vector<std::string> out;
  std::vector<std::set<std::string>> open;  // the keys seen in each object being parsed
  auto callback = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) {
      open.emplace_back();
    } else if (event == E::object_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == E::key && !open.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!open.back().insert(key).second) {
        std::string quoted;
        for (char c : key) {
          if (c == '"' || c == '\\') quoted += '\\';
          quoted += c;
        }
        out.push_back("duplicate field \"" + quoted + "\"");
      }
    }
    return true;
  };
  try {
    const nlohmann::json parsed = nlohmann::json::parse(json_text, callback);
    if (parsed.is_discarded()) return {};
  } catch (const nlohmann::json::exception&) {
    return {};
  }
  return out;
}

config::Result<std::vector<std::string>> field_warnings(
    const std::vector<std::string>& duplicates, const std::vector<config::Diagnostic>& warnings,
    FieldValidation mode, std::string_view kind_name, std::string_view version) {
  std::vector<std::string> out;
  std::string strict;
  for (const auto& d : duplicates) {
    if (mode == FieldValidation::kStrict) {
      strict += (strict.empty() ? "" : ", ") + d;
    } else if (mode == FieldValidation::kWarn) {
      out.push_back(d);
    }
  }
  for (const auto& d : warnings) {
    if (!is_unknown_field(d)) {
      out.push_back(d.to_string());
    } else if (mode == FieldValidation::kStrict) {
      strict += (strict.empty() ? "" : ", ") + d.message;
    } else if (mode == FieldValidation::kWarn) {
      out.push_back(d.message);  // the API server's text: `unknown field "spec.foo"`
    }
  }
  if (!strict.empty()) {
    const std::string kind(kind_name);
    return ApiError::bad_request(kind + " in version \"" + std::string(version) +
                                 "\" cannot be handled as a " + kind +
                                 ": strict decoding error: " + strict);
  }
  return out;
}

}  // namespace skiff::api
