// Internal to config/validation*.cpp (not part of the public API, which is config/validation.h):
// the error collector and field-path helpers the checks of every kind share, and each kind's
// validate(), which validate_object dispatches to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/manifest.h"
#include "config/objects.h"

namespace skiff::config::validation_internal {

std::string quote(std::string_view s);
std::string join_quoted(std::initializer_list<std::string_view> values);

// Collects errors under field paths, with the Kubernetes error-type prefixes.
class Errors {
 public:
  explicit Errors(std::vector<Diagnostic>& out) : out_(out) {}

  void add(const std::string& field, std::string message) {
    Diagnostic d;
    d.field = field;
    d.message = std::move(message);
    out_.push_back(std::move(d));
  }
  void required(const std::string& field, const std::string& detail = {}) {
    add(field, detail.empty() ? "Required value" : "Required value: " + detail);
  }
  void invalid(const std::string& field, const std::string& value, const std::string& detail) {
    add(field, "Invalid value: " + value + ": " + detail);
  }
  void invalid(const std::string& field, std::string_view value, const std::string& detail) {
    invalid(field, quote(value), detail);
  }
  void invalid(const std::string& field, int64_t value, const std::string& detail) {
    invalid(field, std::to_string(value), detail);
  }
  void unsupported(const std::string& field, std::string_view value,
                   std::initializer_list<std::string_view> supported) {
    add(field,
        "Unsupported value: " + quote(value) + ": supported values: " + join_quoted(supported));
  }
  void duplicate(const std::string& field, std::string_view value) {
    add(field, "Duplicate value: " + quote(value));
  }
  void forbidden(const std::string& field, const std::string& detail) {
    add(field, "Forbidden: " + detail);
  }
  // One error per message of a name rule, as Kubernetes reports them.
  void name_rule(const std::string& field, std::string_view value,
                 const std::vector<std::string>& messages) {
    for (const auto& m : messages) invalid(field, value, m);
  }

 private:
  std::vector<Diagnostic>& out_;
};

bool one_of(std::string_view v, std::initializer_list<std::string_view> options);
std::string at(const std::string& path, std::string_view key);
std::string item(const std::string& path, size_t i);
void check_port_number(Errors& e, const std::string& field, int port);
void check_protocol(Errors& e, const std::string& field, const std::string& protocol);
void check_int_or_port_name(Errors& e, const std::string& field, const IntOrString& port);
void check_labels(Errors& e, const std::string& field, const StringMap& labels);

enum class NameRule { kSubdomain, kDns1035 };

void check_meta(Errors& e, const ObjectMeta& m, NameRule rule);

// validation_pod.cpp and validation_env.cpp
void check_pod_spec(Errors& e, const std::string& path, const PodSpec& spec);
void check_env(Errors& e, const std::string& path, const std::vector<EnvVar>& env,
               const std::set<std::string>& containers);
void check_env_from(Errors& e, const std::string& path, const std::vector<EnvFromSource>& from);

// Each kind's checks (validation.cpp, validation_pod.cpp, validation_service.cpp,
// validation_workloads.cpp, validation_config.cpp).
void validate(Errors& e, const Pod& pod);
void validate(Errors& e, const Service& svc);
void validate(Errors& e, const Endpoints& ep);
void validate(Errors& e, const Deployment& d);
void validate(Errors& e, const ReplicaSet& rs);
void validate(Errors& e, const Event& ev);
void validate(Errors& e, const ConfigMap& cm);
void validate(Errors& e, const Secret& s);
void validate(Errors& e, const Node& node);

}  // namespace skiff::config::validation_internal
