#include "api/selectors.h"

#include <cctype>

namespace skiff::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Label keys: an optional DNS prefix and '/', then a name of alphanumerics, '-', '_', '.'.
bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 317) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '/') {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(key.front())) &&
         std::isalnum(static_cast<unsigned char>(key.back()));
}

// Label values: empty, or up to 63 alphanumerics, '-', '_', '.', starting and ending
// alphanumeric.
bool valid_value(std::string_view value) {
  if (value.empty()) return true;
  if (value.size() > 63) return false;
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(value.front())) &&
         std::isalnum(static_cast<unsigned char>(value.back()));
}

config::ApiError parse_error(std::string_view requirement, const std::string& why) {
  return config::ApiError::bad_request("unable to parse requirement \"" + std::string(requirement) +
                                       "\": " + why);
}

// Splits on commas that are not inside parentheses. nullopt on unbalanced parentheses.
std::optional<std::vector<std::string_view>> split_requirements(std::string_view text) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      if (++depth > 1) return std::nullopt;
    } else if (text[i] == ')') {
      if (--depth < 0) return std::nullopt;
    } else if (text[i] == ',' && depth == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  if (depth != 0) return std::nullopt;
  parts.push_back(text.substr(start));
  return parts;
}

// "key in (a,b)" / "key notin (a,b)"; nullopt when the requirement is not of that shape.
std::optional<config::Result<config::LabelSelectorRequirement>> parse_set_requirement(
    std::string_view req) {
  size_t open = req.find('(');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view head = trim(req.substr(0, open));
  size_t space = head.find_last_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view op = head.substr(space + 1);
  std::string_view key = trim(head.substr(0, space));
  if (op != "in" && op != "notin") return std::nullopt;
  if (req.back() != ')')
    return config::Result<config::LabelSelectorRequirement>(
        parse_error(req, "expected ')' at the end"));
  if (!valid_key(key)) {
    return config::Result<config::LabelSelectorRequirement>(
        parse_error(req, "invalid label key \"" + std::string(key) + "\""));
  }
  config::LabelSelectorRequirement out{std::string(key), op == "in" ? "In" : "NotIn", {}};
  std::string_view inner = req.substr(open + 1, req.size() - open - 2);
  size_t pos = 0;
  while (pos <= inner.size()) {
    size_t comma = inner.find(',', pos);
    if (comma == std::string_view::npos) comma = inner.size();
    std::string_view value = trim(inner.substr(pos, comma - pos));
    if (!valid_value(value)) {
      return config::Result<config::LabelSelectorRequirement>(
          parse_error(req, "invalid label value \"" + std::string(value) + "\""));
    }
    out.values.emplace_back(value);
    pos = comma + 1;
  }
  return config::Result<config::LabelSelectorRequirement>(std::move(out));
}

}  // namespace

config::Result<config::LabelSelector> parse_label_selector(std::string_view text) {
  config::LabelSelector selector;
  if (trim(text).empty()) return selector;
  auto parts = split_requirements(text);
  if (!parts) return parse_error(text, "unbalanced parentheses");
  for (std::string_view raw : *parts) {
    std::string_view req = trim(raw);
    if (req.empty()) return parse_error(text, "empty requirement");
    if (auto set = parse_set_requirement(req)) {
      if (!set->ok()) return set->error();
      selector.match_expressions.push_back(std::move(set->value()));
      continue;
    }
    size_t ne = req.find("!=");
    size_t eq = req.find('=');
    if (ne != std::string_view::npos) {
      std::string_view key = trim(req.substr(0, ne));
      std::string_view value = trim(req.substr(ne + 2));
      if (!valid_key(key))
        return parse_error(req, "invalid label key \"" + std::string(key) + "\"");
      if (!valid_value(value) || value.find('=') != std::string_view::npos) {
        return parse_error(req, "invalid label value \"" + std::string(value) + "\"");
      }
      selector.match_expressions.push_back({std::string(key), "NotIn", {std::string(value)}});
    } else if (eq != std::string_view::npos) {
      std::string_view key = trim(req.substr(0, eq));
      std::string_view value = req.substr(eq + 1);
      if (!value.empty() && value.front() == '=') value.remove_prefix(1);
      value = trim(value);
      if (!valid_key(key))
        return parse_error(req, "invalid label key \"" + std::string(key) + "\"");
      if (!valid_value(value)) {
        return parse_error(req, "invalid label value \"" + std::string(value) + "\"");
      }
      std::string k(key);
      if (selector.match_labels.count(k) == 0) {
        selector.match_labels[k] = std::string(value);
      } else {
        selector.match_expressions.push_back({k, "In", {std::string(value)}});
      }
    } else if (req.front() == '!') {
      std::string_view key = trim(req.substr(1));
      if (!valid_key(key))
        return parse_error(req, "invalid label key \"" + std::string(key) + "\"");
      selector.match_expressions.push_back({std::string(key), "DoesNotExist", {}});
    } else {
      if (!valid_key(req))
        return parse_error(req, "invalid label key \"" + std::string(req) + "\"");
      selector.match_expressions.push_back({std::string(req), "Exists", {}});
    }
  }
  return selector;
}

config::Result<FieldSelector> parse_field_selector(std::string_view text) {
  FieldSelector selector;
  if (trim(text).empty()) return selector;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view req = trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    FieldRequirement out;
    size_t op = req.find("!=");
    size_t op_len = 2;
    if (op != std::string_view::npos) {
      out.equals = false;
    } else if ((op = req.find("==")) != std::string_view::npos) {
      op_len = 2;
    } else if ((op = req.find('=')) != std::string_view::npos) {
      op_len = 1;
    } else {
      return config::ApiError::bad_request("invalid field selector \"" + std::string(req) +
                                           "\": expected field=value or field!=value");
    }
    out.field = std::string(trim(req.substr(0, op)));
    out.value = std::string(trim(req.substr(op + op_len)));
    if (out.field != "metadata.name" && out.field != "metadata.namespace") {
      return config::ApiError::bad_request("field label not supported: " + out.field);
    }
    selector.push_back(std::move(out));
  }
  return selector;
}

bool field_selector_matches(const FieldSelector& selector, const config::ObjectMeta& meta) {
  for (const auto& req : selector) {
    const std::string& actual = req.field == "metadata.name" ? meta.name : meta.namespace_;
    if ((actual == req.value) != req.equals) return false;
  }
  return true;
}

}  // namespace skiff::api
