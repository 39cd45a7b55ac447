// validate_object's dispatch by kind, the field-path and Diagnostics helpers every kind's checks
// share, and the small kinds (Event, Node). The other kinds and entry points live in
// validation_<concern>.cpp; validation_internal.h declares what they share.
#include "config/validation.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/validation_internal.h"

namespace skiff::config {
namespace validation_internal {

// ---- Diagnostics ---------------------------------------------------------------------------

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string join_quoted(std::initializer_list<std::string_view> values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += quote(v);
  }
  return out;
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (v == o) return true;
  }
  return false;
}

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

void check_port_number(Errors& e, const std::string& field, int port) {
  if (port < 1 || port > 65535)
    e.invalid(field, int64_t{port}, "must be between 1 and 65535, inclusive");
}

void check_protocol(Errors& e, const std::string& field, const std::string& protocol) {
  if (protocol == "TCP" || protocol == "UDP") return;
  if (protocol == "SCTP") {
    e.add(field, "Unsupported value: \"SCTP\": not supported by skiff");
    return;
  }
  e.unsupported(field, protocol, {"TCP", "UDP"});
}

void check_int_or_port_name(Errors& e, const std::string& field, const IntOrString& port) {
  if (port.is_int) {
    check_port_number(e, field, port.int_value);
  } else {
    e.name_rule(field, port.str_value, port_name_errors(port.str_value));
  }
}

void check_labels(Errors& e, const std::string& field, const StringMap& labels) {
  for (const auto& [key, value] : labels) {
    e.name_rule(field, key, qualified_name_errors(key));
    e.name_rule(field, value, label_value_errors(value));
  }
}

void check_meta(Errors& e, const ObjectMeta& m, NameRule rule) {
  if (m.name.empty()) {
    if (m.generate_name.empty()) e.required("metadata.name", "name or generateName is required");
  } else {
    e.name_rule("metadata.name", m.name,
                rule == NameRule::kDns1035 ? dns1035_label_errors(m.name)
                                           : dns1123_subdomain_errors(m.name));
  }
  e.name_rule("metadata.namespace", m.namespace_, dns1123_label_errors(m.namespace_));
  check_labels(e, "metadata.labels", m.labels);
  for (const auto& [key, value] : m.annotations) {
    e.name_rule("metadata.annotations", key, qualified_name_errors(key));
  }
}

void validate(Errors& e, const Event& ev) {
  check_meta(e, ev.metadata, NameRule::kSubdomain);
  if (ev.involved_object.name.empty()) e.required("involvedObject.name");
  if (!ev.involved_object.namespace_.empty() &&
      ev.involved_object.namespace_ != ev.metadata.namespace_) {
    e.invalid("involvedObject.namespace", std::string_view(ev.involved_object.namespace_),
              "does not match event.namespace");
  }
  if (!one_of(ev.type, {"Normal", "Warning"})) {
    e.unsupported("type", ev.type, {"Normal", "Warning"});
  }
  if (ev.reason.empty()) e.required("reason");
  if (ev.count < 0) e.invalid("count", int64_t{ev.count}, "must be greater than or equal to 0");
}

// Cluster-scoped: the name only (the daemon writes its own Node).
void validate(Errors& e, const Node& node) {
  if (node.metadata.name.empty()) {
    e.required("metadata.name", "name or generateName is required");
  } else {
    e.name_rule("metadata.name", node.metadata.name, dns1123_subdomain_errors(node.metadata.name));
  }
}

}  // namespace validation_internal

using validation_internal::Errors;
using validation_internal::validate;

// ---- Entry points ------------------------------------------------------------------------------

std::vector<Diagnostic> validate_object(const Object& object) {
  std::vector<Diagnostic> out;
  Errors e(out);
  std::visit([&](const auto& o) { validate(e, o); }, object);
  return out;
}

}  // namespace skiff::config
