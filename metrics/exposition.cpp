#include "metrics/exposition.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <system_error>

namespace skiff::metrics {
namespace {

// 2^53: beyond it not every integer is a double, and plain digits would claim a precision the
// value does not have.
constexpr double kMaxExactInteger = 9007199254740992.0;

// `a="x",b="y"`: escaped once per child, reused by each of a histogram's series.
std::string label_body(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  std::string body;
  const std::size_t count = std::min(names.size(), values.size());
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) body += ',';
    body += names[i];
    body += "=\"";
    append_escaped_label_value(body, values[i]);
    body += '"';
  }
  return body;
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, double value) {
  out += name;
  out += suffix;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

// The child's escaped labels: the family's cached copy, or computed into `scratch`.
std::string_view labels_of(const FamilySnapshot& family, const ChildSnapshot& child,
                           std::string& scratch) {
  if (child.rendered_labels) return *child.rendered_labels;
  scratch = label_body(family.label_names, child.label_values);
  return scratch;
}

void append_histogram(std::string& out, const FamilySnapshot& family,
                      const std::vector<std::string>& les, const ChildSnapshot& child) {
  const Histogram::Reading& reading = child.histogram;
  std::string scratch;
  const std::string_view labels = labels_of(family, child, scratch);
  for (std::size_t i = 0; i < reading.cumulative.size(); ++i) {
    out += family.name;
    out += "_bucket{";
    out += labels;
    if (!labels.empty()) out += ',';
    out += "le=\"";
    out += i < les.size() ? std::string_view(les[i]) : std::string_view("+Inf");
    out += "\"} ";
    append_value(out, static_cast<double>(reading.cumulative[i]));
    out += '\n';
  }
  append_sample(out, family.name, "_sum", labels, reading.sum);
  append_sample(out, family.name, "_count", labels, static_cast<double>(reading.count));
}

void append_family(std::string& out, const FamilySnapshot& family) {
  out += "# HELP ";
  out += family.name;
  out += ' ';
  append_escaped_help(out, family.help);
  out += "\n# TYPE ";
  out += family.name;
  out += ' ';
  out += type_name(family.type);
  out += '\n';

  std::vector<const ChildSnapshot*> children;
  children.reserve(family.children.size());
  for (const ChildSnapshot& child : family.children) children.push_back(&child);
  const auto by_labels = [](const auto* a, const auto* b) {
    return a->label_values < b->label_values;
  };
  // Families hand their children over in order; only hand-made snapshots need the sort.
  if (!std::is_sorted(children.begin(), children.end(), by_labels)) {
    std::stable_sort(children.begin(), children.end(), by_labels);
  }
  std::vector<std::string> les;
  if (family.type == MetricType::kHistogram) {
    for (double bound : family.bounds) append_value(les.emplace_back(), bound);
  }
  for (const ChildSnapshot* child : children) {
    if (family.type == MetricType::kHistogram) {
      append_histogram(out, family, les, *child);
    } else {
      std::string scratch;
      append_sample(out, family.name, "", labels_of(family, *child, scratch), child->value);
    }
  }
}

}  // namespace

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[64];
  std::to_chars_result result;
  if (std::fabs(value) <= kMaxExactInteger && value == std::trunc(value)) {
    // Exact: |value| <= 2^53 fits an int64 without rounding. -0.0 prints as "0".
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value));
  } else {
    result = std::to_chars(buffer, buffer + sizeof buffer, value);
  }
  // 64 characters hold any double's shortest form, so to_chars cannot fail here.
  out.append(buffer, result.ptr);
}

void append_escaped_help(std::string& out, std::string_view help) {
  if (help.find_first_of("\\\n") == std::string_view::npos) {
    out += help;  // the common case: nothing to escape
    return;
  }
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  if (value.find_first_of("\\\"\n") == std::string_view::npos) {
    out += value;  // the common case: nothing to escape
    return;
  }
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

std::string render(const std::vector<FamilySnapshot>& families) {
  std::vector<const FamilySnapshot*> sorted;
  sorted.reserve(families.size());
  for (const FamilySnapshot& family : families) {
    if (!family.children.empty()) sorted.push_back(&family);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->name < b->name; });
  // The last render's size is a good guess for this one: one allocation instead of a dozen
  // doublings (each a copy of everything written so far).
  static std::atomic<std::size_t> size_hint{0};
  std::string out;
  out.reserve(size_hint.load(std::memory_order_relaxed) + 4096);
  for (const FamilySnapshot* family : sorted) append_family(out, *family);
  size_hint.store(out.size(), std::memory_order_relaxed);
  return out;
}

std::string render(const Registry& registry) {
  return render(registry.collect(CollectMode::kForExposition));
}

}  // namespace skiff::metrics
