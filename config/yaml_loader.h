// YAML text to JSON documents, remembering where every field was written so validation can
// point at "file:line:col". Scalars keep their YAML type the way Kubernetes' YAML decoder
// does: plain `5000` is a number, quoted "5000" a string.
//
// The loader is the first thing hostile input reaches, so it bounds everything: document
// count, nesting depth and total node count (aliases included, so "billion laughs" input is
// refused instead of expanded).
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/manifest.h"

namespace skiff::config {

struct SourceMark {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  bool operator==(const SourceMark&) const = default;
};

// Field path ("spec.ports[0].targetPort") to where its key (or sequence item) was written.
// The document root has the path "".
using PathMarks = std::map<std::string, SourceMark>;

struct YamlDocument {
  nlohmann::json value;
  PathMarks marks;
};

struct YamlLoad {
  std::vector<YamlDocument> documents;  // empty documents are skipped
  std::vector<Diagnostic> diagnostics;  // errors only; any error means the text is unusable
  bool ok() const { return diagnostics.empty(); }
};

inline constexpr int kMaxYamlDepth = 64;
inline constexpr size_t kMaxYamlDocuments = 1000;
inline constexpr size_t kMaxYamlNodes = 1'000'000;

// Parses every document of `text` (`file` is used only in diagnostics). Text larger than
// kMaxManifestBytes is refused without being parsed.
YamlLoad load_yaml(std::string_view text, const std::string& file);

// Where `path` was written, or its nearest ancestor that was ("spec.selector" falls back to
// "spec" when the selector is absent). {0, 0} when nothing matches.
SourceMark find_mark(const PathMarks& marks, std::string_view path);

}  // namespace skiff::config
