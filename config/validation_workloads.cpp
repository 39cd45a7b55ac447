// Deployment and ReplicaSet checks: selector, pod template, rollout strategy.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/labels.h"
#include "config/validation.h"
#include "config/validation_internal.h"

namespace skiff::config::validation_internal {
namespace {

void check_selector(Errors& e, const std::string& field, const LabelSelector& s) {
  check_labels(e, at(field, "matchLabels"), s.match_labels);
  for (size_t i = 0; i < s.match_expressions.size(); ++i) {
    const auto& r = s.match_expressions[i];
    const std::string p = item(at(field, "matchExpressions"), i);
    e.name_rule(at(p, "key"), r.key, qualified_name_errors(r.key));
    if (r.op == "In" || r.op == "NotIn") {
      if (r.values.empty()) {
        e.required(at(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (r.op == "Exists" || r.op == "DoesNotExist") {
      if (!r.values.empty()) {
        e.forbidden(at(p, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      e.unsupported(at(p, "operator"), r.op, {"DoesNotExist", "Exists", "In", "NotIn"});
    }
  }
}

// Go's %#v of a map[string]string, which Kubernetes prints in the selector mismatch message.
std::string go_map(const StringMap& m) {
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ", ";
    first = false;
    out += quote(k) + ":" + quote(v);
  }
  return out + "}";
}

void check_workload(Errors& e, int replicas, const LabelSelector& selector,
                    const PodTemplateSpec& tmpl) {
  if (replicas < 0)
    e.invalid("spec.replicas", int64_t{replicas}, "must be greater than or equal to 0");
  if (selector.empty()) {
    e.required("spec.selector");
  } else {
    check_selector(e, "spec.selector", selector);
    if (!selector_matches(selector, tmpl.metadata.labels)) {
      e.invalid("spec.template.metadata.labels", go_map(tmpl.metadata.labels),
                "`selector` does not match template `labels`");
    }
  }
  check_labels(e, "spec.template.metadata.labels", tmpl.metadata.labels);
  check_pod_spec(e, "spec.template.spec", tmpl.spec);
  if (tmpl.spec.restart_policy != "Always") {
    e.unsupported("spec.template.spec.restartPolicy", tmpl.spec.restart_policy, {"Always"});
  }
}

// maxSurge / maxUnavailable: a non-negative integer or a percentage ("25%"). nullopt when bad
// (the error is recorded); else whether it is zero.
std::optional<bool> check_rollout_value(Errors& e, const std::string& field, const IntOrString& v) {
  if (v.is_int) {
    if (v.int_value < 0) {
      e.invalid(field, int64_t{v.int_value}, "must be greater than or equal to 0");
      return std::nullopt;
    }
    return v.int_value == 0;
  }
  const std::string& t = v.str_value;
  bool digits = t.size() >= 2 && t.back() == '%' && t.size() <= 5 &&
                std::all_of(t.begin(), t.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    e.invalid(field, std::string_view(t),
              "a valid percent string must be a numeric string followed by an ending '%' "
              "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    return std::nullopt;
  }
  const int pct = std::stoi(t.substr(0, t.size() - 1));
  if (pct > 100 && field.ends_with("maxUnavailable")) {
    e.invalid(field, std::string_view(t), "must not be greater than 100%");
    return std::nullopt;
  }
  return pct == 0;
}

}  // namespace

void validate(Errors& e, const Deployment& d) {
  check_meta(e, d.metadata, NameRule::kSubdomain);
  check_workload(e, d.spec.replicas, d.spec.selector, d.spec.template_);
  if (!one_of(d.spec.strategy.type, {"RollingUpdate", "Recreate"})) {
    e.unsupported("spec.strategy.type", d.spec.strategy.type, {"Recreate", "RollingUpdate"});
  } else if (d.spec.strategy.type == "RollingUpdate") {
    const std::string ru = "spec.strategy.rollingUpdate";
    auto surge_zero = check_rollout_value(e, ru + ".maxSurge", d.spec.strategy.max_surge);
    auto unavailable_zero =
        check_rollout_value(e, ru + ".maxUnavailable", d.spec.strategy.max_unavailable);
    if (surge_zero && unavailable_zero && *surge_zero && *unavailable_zero) {
      e.invalid(ru + ".maxUnavailable", std::string("0"), "may not be 0 when `maxSurge` is 0");
    }
  }
  if (d.spec.min_ready_seconds < 0) {
    e.invalid("spec.minReadySeconds", int64_t{d.spec.min_ready_seconds},
              "must be greater than or equal to 0");
  }
  if (d.spec.revision_history_limit < 0) {
    e.invalid("spec.revisionHistoryLimit", int64_t{d.spec.revision_history_limit},
              "must be greater than or equal to 0");
  }
  if (d.spec.progress_deadline_seconds <= 0) {
    e.invalid("spec.progressDeadlineSeconds", int64_t{d.spec.progress_deadline_seconds},
              "must be greater than 0");
  } else if (d.spec.progress_deadline_seconds <= d.spec.min_ready_seconds) {
    e.invalid("spec.progressDeadlineSeconds", int64_t{d.spec.progress_deadline_seconds},
              "must be greater than minReadySeconds");
  }
}

void validate(Errors& e, const ReplicaSet& rs) {
  check_meta(e, rs.metadata, NameRule::kSubdomain);
  check_workload(e, rs.spec.replicas, rs.spec.selector, rs.spec.template_);
}

}  // namespace skiff::config::validation_internal
