#include "api/table_json.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "config/objects_json.h"

namespace skiff::api {
namespace {

using config::ApiError;
using nlohmann::json;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// One media range of an Accept header: "type/subtype;k=v;q=0.5".
struct MediaRange {
  std::string type;      // lower-cased "application/json"
  std::string as, g, v;  // the as/g/v parameters (values as sent, unquoted)
  double q = 1.0;
  bool other_params = false;  // a parameter skiff does not know
};

// Splits on `sep` outside double quotes.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

// The q-value as RFC 9110 writes it (0 to 1, at most three decimals); nullopt when malformed.
std::optional<double> parse_q(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  if (text.size() > 1 && text[1] != '.') return std::nullopt;
  for (size_t i = 2; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const double q = std::strtod(std::string(text).c_str(), nullptr);
  if (q > 1.0) return std::nullopt;
  return q;
}

std::optional<MediaRange> parse_range(std::string_view text) {
  auto parts = split(text, ';');
  MediaRange range;
  range.type = lower(trim(parts[0]));
  if (range.type.empty() || range.type.find('/') == std::string::npos) return std::nullopt;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto param = trim(parts[i]);
    if (param.empty()) continue;
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string key = lower(trim(param.substr(0, eq)));
    std::string_view value = trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "q") {
      auto q = parse_q(value);
      if (!q) return std::nullopt;
      range.q = *q;
    } else if (key == "as") {
      range.as = value;
    } else if (key == "g") {
      range.g = value;
    } else if (key == "v") {
      range.v = value;
    } else if (key != "charset" && key != "pretty" && key != "stream") {
      range.other_params = true;
    }
  }
  return range;
}

// What skiff serves for one range, or nullopt when it cannot.
std::optional<Rendering> serve_range(const MediaRange& r) {
  const bool json_type =
      r.type == "application/json" || r.type == "*/*" || r.type == "application/*";
  if (!json_type || r.other_params) return std::nullopt;
  if (r.as.empty()) {
    if (!r.g.empty() || !r.v.empty()) return std::nullopt;
    return Rendering{};
  }
  if (r.type != "application/json" || r.as != "Table" || r.g != "meta.k8s.io") return std::nullopt;
  if (r.v != "v1" && r.v != "v1beta1") return std::nullopt;
  TableRequest table;
  table.api_version = "meta.k8s.io/" + r.v;
  return Rendering{table};
}

json column_json(const TableColumn& c) {
  return {{"name", c.name},
          {"type", c.type},
          {"format", c.format},
          {"description", c.description},
          {"priority", c.priority}};
}

json row_object(const config::Object& object, IncludeObject include) {
  json full = config::to_json(object);
  if (include == IncludeObject::kObject) return full;
  json partial = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"}};
  partial["metadata"] = full.contains("metadata") ? full["metadata"] : json::object();
  return partial;
}

}  // namespace

config::Result<Rendering> negotiate_rendering(std::string_view accept) {
  if (trim(accept).empty()) return Rendering{};
  std::vector<MediaRange> ranges;
  bool any = false;
  for (auto part : split(accept, ',')) {
    if (trim(part).empty()) continue;
    any = true;
    if (auto r = parse_range(part)) ranges.push_back(std::move(*r));
  }
  if (!any) return Rendering{};  // only commas: as if absent
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const MediaRange& a, const MediaRange& b) { return a.q > b.q; });
  for (const auto& r : ranges) {
    if (r.q <= 0) break;  // q=0: "not acceptable"; sorted, so the rest are too
    if (auto served = serve_range(r)) return *served;
  }
  return ApiError{406,
                  "NotAcceptable",
                  "only the following media types are accepted: application/json, "
                  "application/json;as=Table;v=v1;g=meta.k8s.io, "
                  "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
                  {}};
}

config::Result<IncludeObject> parse_include_object(const std::string* value) {
  if (!value || value->empty() || *value == "Metadata") return IncludeObject::kMetadata;
  if (*value == "None") return IncludeObject::kNone;
  if (*value == "Object") return IncludeObject::kObject;
  return ApiError::bad_request("includeObject: Unsupported value: \"" + *value +
                               "\": supported values: \"Metadata\", \"None\", \"Object\"");
}

json table_json(config::Kind kind, const std::vector<config::ObjectPtr>& objects,
                const std::string& resource_version, const TableRequest& request, std::time_t now) {
  std::vector<const config::Object*> plain;
  plain.reserve(objects.size());
  for (const auto& o : objects) plain.push_back(o.get());
  return table_json(kind, plain, resource_version, request, now);
}

json table_json(config::Kind kind, const std::vector<const config::Object*>& objects,
                const std::string& resource_version, const TableRequest& request, std::time_t now) {
  json columns = json::array();
  for (const auto& c : table_columns(kind)) columns.push_back(column_json(c));
  json rows = json::array();
  for (const auto& object : objects) {
    if (!object) continue;
    json cells = json::array();
    for (const auto& cell : table_row(*object, now)) {
      if (cell.integer) {
        cells.push_back(*cell.integer);
      } else {
        cells.push_back(cell.text);
      }
    }
    json row = {{"cells", std::move(cells)}};
    if (request.include != IncludeObject::kNone) {
      row["object"] = row_object(*object, request.include);
    }
    rows.push_back(std::move(row));
  }
  json metadata = json::object();
  if (!resource_version.empty()) metadata["resourceVersion"] = resource_version;
  return {{"kind", "Table"},
          {"apiVersion", request.api_version},
          {"metadata", std::move(metadata)},
          {"columnDefinitions", std::move(columns)},
          {"rows", std::move(rows)}};
}

}  // namespace skiff::api
