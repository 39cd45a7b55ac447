#include "config/manifest.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "config/objects_json.h"
#include "config/validation.h"
#include "config/yaml_loader.h"

namespace skiff::config {
namespace {

// Runs one document through typing, defaulting and validation, appending what it finds.
// `marks` is null for JSON bodies, whose diagnostics have no position.
void process_document(const json& document, const PathMarks* marks, const std::string& file,
                      LoadResult& result) {
  std::vector<Diagnostic> found;
  std::optional<Kind> kind;
  found = check_document(document, &kind);
  std::optional<Object> object;
  if (kind) {
    Result<Object> typed = object_from_json(*kind, document);
    if (typed.ok()) {
      object = std::move(typed.value());
    } else {
      // from_json words its errors "field.path: expected integer, got string".
      Diagnostic d;
      const std::string& msg = typed.error().message;
      const size_t sep = msg.find(": ");
      if (sep != std::string::npos && msg.find(' ') >= sep) {
        d.field = msg.substr(0, sep);
        d.message = msg.substr(sep + 2);
      } else {
        d.message = msg;
      }
      found.push_back(std::move(d));
    }
  }
  if (object) {
    for (auto& w : apply_defaults(*object)) found.push_back(std::move(w));
    for (auto& e : validate_object(*object)) found.push_back(std::move(e));
  }
  bool failed = false;
  for (Diagnostic& d : found) {
    d.file = file;
    if (marks != nullptr) {
      const SourceMark m = find_mark(*marks, d.field);
      d.line = m.line;
      d.column = m.column;
    }
    failed = failed || d.severity == Diagnostic::Severity::kError;
    result.diagnostics.push_back(std::move(d));
  }
  if (object && !failed) result.objects.push_back(std::move(*object));
}

Diagnostic file_error(const std::string& file, std::string message) {
  Diagnostic d;
  d.file = file;
  d.message = std::move(message);
  return d;
}

// Reads at most kMaxManifestBytes + 1 bytes, so an oversized input is detected without
// reading all of it.
bool read_bounded(std::istream& in, std::string& out) {
  out.clear();
  char buf[64 * 1024];
  while (out.size() <= kMaxManifestBytes && in.read(buf, sizeof buf).gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
  }
  return !in.bad();
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out;
  if (!file.empty()) out += file;
  if (line > 0) {
    if (!out.empty()) out += ':';
    out += std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!out.empty()) out += ": ";
  if (!field.empty()) out += field + ": ";
  return out + message;
}

bool LoadResult::ok() const {
  for (const auto& d : diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return false;
  }
  return true;
}

LoadResult load_manifests(std::string_view text, const std::string& file) {
  LoadResult result;
  YamlLoad yaml = load_yaml(text, file);
  if (!yaml.ok()) {
    result.diagnostics = std::move(yaml.diagnostics);
    return result;
  }
  for (const YamlDocument& doc : yaml.documents) {
    process_document(doc.value, &doc.marks, file, result);
  }
  if (!result.ok()) result.objects.clear();  // all or nothing
  return result;
}

LoadResult load_manifest_file(const std::string& path) {
  LoadResult result;
  std::string text;
  if (path == "-") {
    if (!read_bounded(std::cin, text)) {
      result.diagnostics.push_back(file_error("<stdin>", "cannot read standard input"));
      return result;
    }
  } else {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      result.diagnostics.push_back(file_error(path, "is a directory, not a manifest file"));
      return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      result.diagnostics.push_back(
          file_error(path, std::string("cannot open: ") + std::strerror(errno)));
      return result;
    }
    if (!read_bounded(in, text)) {
      result.diagnostics.push_back(file_error(path, "cannot read"));
      return result;
    }
  }
  const std::string name = path == "-" ? "<stdin>" : path;
  if (text.size() > kMaxManifestBytes) {
    result.diagnostics.push_back(file_error(
        name,
        "manifest is larger than the limit of " + std::to_string(kMaxManifestBytes) + " bytes"));
    return result;
  }
  return load_manifests(text, name);
}

LoadResult decode_object(const nlohmann::json& document) {
  LoadResult result;
  process_document(document, nullptr, "", result);
  if (!result.ok()) result.objects.clear();
  return result;
}

}  // namespace skiff::config
