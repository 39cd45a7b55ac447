#include "config/yaml_loader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>

namespace skiff::config {
namespace {

using nlohmann::json;

SourceMark to_source(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

[[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) {
  throw YAML::ParserException(mark, message);
}

bool all_of(std::string_view s, size_t from, bool (*pred)(char)) {
  if (from >= s.size()) return false;
  for (size_t i = from; i < s.size(); ++i) {
    if (!pred(s[i])) return false;
  }
  return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }

std::optional<json> parse_integer(const std::string& v) {
  size_t sign = (v[0] == '-' || v[0] == '+') ? 1 : 0;
  int base = 10;
  size_t digits = sign;
  if (v.compare(sign, 2, "0x") == 0 && all_of(v, sign + 2, is_hex)) {
    base = 16;
    digits = sign + 2;
  } else if (v.compare(sign, 2, "0o") == 0 && all_of(v, sign + 2, is_octal)) {
    base = 8;
    digits = sign + 2;
  } else if (v.size() > sign + 1 && v[sign] == '0' && all_of(v, sign + 1, is_octal)) {
    // YAML 1.1's octal, as kubectl's YAML reader (go-yaml v2) takes it: `defaultMode: 0400`
    // is 256, the mode people mean, not four hundred.
    base = 8;
    digits = sign + 1;
  } else if (!all_of(v, sign, is_digit)) {
    return std::nullopt;
  }
  const std::string body = v.substr(digits);
  errno = 0;
  if (v[0] == '-') {
    long long n = std::strtoll(body.c_str(), nullptr, base);
    if (errno == 0) return json(-n);
  } else {
    unsigned long long n = std::strtoull(body.c_str(), nullptr, base);
    if (errno == 0) {
      if (n <= static_cast<unsigned long long>(INT64_MAX)) return json(static_cast<int64_t>(n));
      return json(static_cast<uint64_t>(n));
    }
  }
  // Too large for 64 bits: YAML still calls it a number.
  return json(std::strtod(v.c_str(), nullptr));
}

std::optional<json> parse_float(const std::string& v) {
  // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  size_t i = 0;
  if (v[i] == '-' || v[i] == '+') ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < v.size() && is_digit(v[i])) ++i, ++int_digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < v.size() && is_digit(v[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != v.size()) return std::nullopt;
  return json(std::strtod(v.c_str(), nullptr));
}

// YAML 1.2 core schema resolution of a plain scalar.
json resolve_plain(const std::string& v) {
  if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
  if (v == "true" || v == "True" || v == "TRUE") return true;
  if (v == "false" || v == "False" || v == "FALSE") return false;
  if (auto n = parse_integer(v)) return *n;
  if (auto f = parse_float(v)) return *f;
  return v;
}

json resolve_scalar(const std::string& tag, const std::string& value) {
  // "!" is yaml-cpp's non-specific tag for quoted and block scalars: always a string.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return value;
  return resolve_plain(value);
}

std::string join_key(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Builds JSON from parser events. A stack frame per open mapping/sequence; a completed node is
// attached to the frame below it.
class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(PathMarks& marks) : marks_(marks) {}

  const json& root() const { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (key_expected()) fail(mark, "mapping keys must be non-empty scalars");
    const size_t start = nodes_;
    count(mark, 1);
    begin_node(mark);
    finish(json(nullptr), anchor, start);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail(mark, "unknown anchor");
    count(mark, it->second.nodes);
    if (key_expected()) {
      if (!it->second.value.is_string()) fail(mark, "mapping keys must be scalars");
      set_key(mark, it->second.value.get<std::string>());
      return;
    }
    begin_node(mark);
    finish(it->second.value, 0, nodes_);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    const size_t start = nodes_;
    count(mark, 1);
    if (key_expected()) {
      if (anchor != 0) anchors_[anchor] = {json(value), 1};
      set_key(mark, value);
      return;
    }
    begin_node(mark, /*scalar=*/true);
    finish(resolve_scalar(tag, value), anchor, start);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, json::array(), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, json::object(), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    json value;
    std::string path;
    YAML::anchor_t anchor = 0;
    size_t start_nodes = 0;
    std::string key;
    bool key_pending = true;  // maps only: the next node is a key
  };
  struct Anchored {
    json value;
    size_t nodes = 0;
  };

  bool key_expected() const {
    return !stack_.empty() && stack_.back().value.is_object() && stack_.back().key_pending;
  }

  void count(const YAML::Mark& mark, size_t n) {
    nodes_ += n;
    if (nodes_ > kMaxYamlNodes) {
      fail(mark,
           "too many nodes (more than " + std::to_string(kMaxYamlNodes) + ", aliases included)");
    }
  }

  void set_key(const YAML::Mark& mark, const std::string& key) {
    Frame& top = stack_.back();
    if (top.value.contains(key)) {
      fail(mark, "mapping key \"" + key + "\" already defined");
    }
    top.key = key;
    top.key_pending = false;
    marks_.emplace(join_key(top.path, key), to_source(mark));
  }

  // The path of the node about to start; records its mark. A mapping's scalar value is marked
  // where the value stands (what a message about its value should point at); a nested
  // collection keeps its key's mark.
  std::string begin_node(const YAML::Mark& mark, bool scalar = false) {
    if (stack_.empty()) {
      marks_.emplace("", to_source(mark));
      return "";
    }
    Frame& top = stack_.back();
    if (top.value.is_object()) {
      std::string path = join_key(top.path, top.key);
      if (scalar) marks_[path] = to_source(mark);
      return path;
    }
    std::string path = top.path + "[" + std::to_string(top.value.size()) + "]";
    marks_.emplace(path, to_source(mark));
    return path;
  }

  void open(const YAML::Mark& mark, json empty, YAML::anchor_t anchor) {
    if (key_expected()) fail(mark, "mapping keys must be scalars");
    if (stack_.size() >= static_cast<size_t>(kMaxYamlDepth)) {
      fail(mark, "nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    }
    const size_t start = nodes_;
    count(mark, 1);
    std::string path = begin_node(mark);
    stack_.push_back(Frame{std::move(empty), std::move(path), anchor, start, {}, true});
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    finish(std::move(frame.value), frame.anchor, frame.start_nodes);
  }

  void finish(json value, YAML::anchor_t anchor, size_t start_nodes) {
    if (anchor != 0) anchors_[anchor] = {value, nodes_ - start_nodes};
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_object()) {
      top.value[top.key] = std::move(value);
      top.key_pending = true;
    } else {
      top.value.push_back(std::move(value));
    }
  }

  PathMarks& marks_;
  std::vector<Frame> stack_;
  json root_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  size_t nodes_ = 0;
};

Diagnostic error_at(const std::string& file, SourceMark mark, std::string message) {
  Diagnostic d;
  d.file = file;
  d.line = mark.line;
  d.column = mark.column;
  d.message = std::move(message);
  return d;
}

}  // namespace

YamlLoad load_yaml(std::string_view text, const std::string& file) {
  YamlLoad result;
  if (text.size() > kMaxManifestBytes) {
    result.diagnostics.push_back(error_at(file, {},
                                          "manifest is " + std::to_string(text.size()) +
                                              " bytes; the limit is " +
                                              std::to_string(kMaxManifestBytes)));
    return result;
  }
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    for (size_t n = 0;; ++n) {
      YamlDocument doc;
      JsonBuilder builder(doc.marks);
      if (!parser.HandleNextDocument(builder)) break;
      if (n >= kMaxYamlDocuments) {
        result.diagnostics.push_back(error_at(
            file, doc.marks[""],
            "more than " + std::to_string(kMaxYamlDocuments) + " documents in one manifest"));
        break;
      }
      if (builder.root().is_null()) continue;
      doc.value = builder.root();
      result.documents.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    result.diagnostics.push_back(error_at(file, to_source(e.mark), e.msg));
  } catch (const std::exception& e) {
    result.diagnostics.push_back(error_at(file, {}, std::string("invalid YAML: ") + e.what()));
  }
  return result;
}

SourceMark find_mark(const PathMarks& marks, std::string_view path) {
  std::string p(path);
  for (int guard = 0; guard < 10000; ++guard) {
    auto it = marks.find(p);
    if (it != marks.end()) return it->second;
    if (p.empty()) break;
    size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string() : p.substr(0, cut);
  }
  return {};
}

}  // namespace skiff::config
