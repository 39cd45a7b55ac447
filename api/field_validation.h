// The `fieldValidation` query parameter of create, update and patch, as the API server reads it:
// Ignore drops unknown fields silently, Warn (the default) accepts the object and warns
// (`Warning: 299 - "unknown field \"spec.foo\""`), Strict refuses it with 400 BadRequest
// (`... strict decoding error: unknown field "spec.foo"`). Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/manifest.h"
#include "config/status.h"

namespace skiff::api {

enum class FieldValidation { kIgnore, kWarn, kStrict };

// The parameter from the query (absent or "" = Warn). Any other value than Ignore, Warn or
// Strict is 422 Invalid, as the API server words it; options_kind is "CreateOptions",
// "UpdateOptions" or "PatchOptions".
config::Result<FieldValidation> parse_field_validation(
    const std::map<std::string, std::string>& query, std::string_view options_kind);

// True for the decoder's unknown-field warning (`unknown field "spec.foo"`).
bool is_unknown_field(const config::Diagnostic& diagnostic);

// The keys that occur twice in one object of the JSON text, as the API server names them
// (`duplicate field "replicas"`: the key, not its path), in document order. Empty for text that
// does not parse (the decoder reports that). Call only on a body parse_json_body accepted.
std::vector<std::string> duplicate_fields(const std::string& json_text);

// Applies the mode to the duplicate fields and the unknown-field diagnostics of a decoded object
// of kind `kind_name` in `version` ("v1"): Strict with any of them is the API server's
// BadRequest; otherwise the warning texts to send (none of them under Ignore). Other warnings
// pass through.
config::Result<std::vector<std::string>> field_warnings(
    const std::vector<std::string>& duplicates, const std::vector<config::Diagnostic>& warnings,
    FieldValidation mode, std::string_view kind_name, std::string_view version);

}  // namespace skiff::api
