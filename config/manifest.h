// Loading manifests: YAML files (one or many documents) into validated typed objects.
// A file with any error yields no objects; every error and warning is reported at once as
// "file:line:col: field.path: message", as the Kubernetes API server would word it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"

namespace skiff::config {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;       // 1-based; 0 when unknown (JSON from the API)
  int column = 0;     // 1-based
  std::string field;  // "spec.ports[0].targetPort"
  std::string message;
  // "file:line:col: field: message" (parts that are unknown are left out)
  std::string to_string() const;
};

struct LoadResult {
  std::vector<Object> objects;  // empty when any error was found
  std::vector<Diagnostic> diagnostics;
  bool ok() const;  // no error-severity diagnostic
};

inline constexpr size_t kMaxManifestBytes = 8 * 1024 * 1024;

// Parses and validates YAML text; `file` is used only in messages.
LoadResult load_manifests(std::string_view text, const std::string& file);
// Reads the file (refusing more than kMaxManifestBytes) and loads it. "-" reads stdin.
LoadResult load_manifest_file(const std::string& path);

// One object from a JSON body (the API's create/update): the same type checks, validation,
// defaults and unknown-field warnings as for YAML, without line numbers. objects holds the
// one object when ok().
LoadResult decode_object(const nlohmann::json& document);

}  // namespace skiff::config
