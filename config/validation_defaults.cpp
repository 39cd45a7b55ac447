// The defaults the API server applies (apply_defaults in config/validation.h).
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/labels.h"
#include "config/validation.h"

namespace skiff::config {
namespace {

// ---- Defaults ------------------------------------------------------------------------------

void default_pod_spec(PodSpec& spec) {
  if (spec.restart_policy.empty()) spec.restart_policy = "Always";
  for (Container& c : spec.containers) {
    if (c.image_pull_policy.empty()) c.image_pull_policy = default_pull_policy(c.image);
    for (ContainerPort& p : c.ports) {
      if (p.protocol.empty()) p.protocol = "TCP";
    }
  }
}

void default_meta(ObjectMeta& m) {
  if (m.namespace_.empty()) m.namespace_ = "default";
}

void default_workload(std::vector<Diagnostic>& warnings, LabelSelector& selector,
                      PodTemplateSpec& tmpl) {
  default_pod_spec(tmpl.spec);
  if (selector.empty() && !tmpl.metadata.labels.empty()) {
    selector.match_labels = tmpl.metadata.labels;
    Diagnostic d;
    d.severity = Diagnostic::Severity::kWarning;
    d.field = "spec.selector";
    d.message = "missing; defaulted to matchLabels " + labels_to_string(tmpl.metadata.labels) +
                " from spec.template.metadata.labels (apps/v1 requires spec.selector; "
                "the API server would reject this)";
    warnings.push_back(std::move(d));
  }
}

}  // namespace

std::string default_pull_policy(std::string_view image) {
  if (image.find('@') != std::string_view::npos) return "IfNotPresent";
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  const bool tagged =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

std::vector<Diagnostic> apply_defaults(Object& object) {
  std::vector<Diagnostic> warnings;
  default_meta(meta(object));
  if (auto* pod = std::get_if<Pod>(&object)) {
    default_pod_spec(pod->spec);
  } else if (auto* svc = std::get_if<Service>(&object)) {
    if (svc->spec.type.empty()) svc->spec.type = "ClusterIP";
    if (svc->spec.session_affinity.empty()) svc->spec.session_affinity = "None";
    for (ServicePort& p : svc->spec.ports) {
      if (p.protocol.empty()) p.protocol = "TCP";
      if (p.target_port.empty()) p.target_port = IntOrString::of(p.port);
    }
  } else if (auto* ep = std::get_if<Endpoints>(&object)) {
    for (EndpointSubset& s : ep->subsets) {
      for (EndpointPort& p : s.ports) {
        if (p.protocol.empty()) p.protocol = "TCP";
      }
    }
  } else if (auto* d = std::get_if<Deployment>(&object)) {
    default_workload(warnings, d->spec.selector, d->spec.template_);
    if (d->spec.strategy.type.empty()) d->spec.strategy.type = "RollingUpdate";
  } else if (auto* rs = std::get_if<ReplicaSet>(&object)) {
    default_workload(warnings, rs->spec.selector, rs->spec.template_);
  } else if (auto* secret = std::get_if<Secret>(&object)) {
    // As the API server: stringData is merged into data (its values win), type Opaque.
    if (secret->type.empty()) secret->type = "Opaque";
    for (auto& [key, value] : secret->string_data) secret->data[key] = std::move(value);
    secret->string_data.clear();
  }
  return warnings;
}

}  // namespace skiff::config
