#include "api/scale.h"

#include <limits>
#include <string>

#include "config/labels.h"

namespace skiff::api {

nlohmann::json scale_to_json(const config::Object& object) {
  const auto& m = config::meta(object);
  int spec_replicas = 0;
  int status_replicas = 0;
  std::string selector;
  if (const auto* d = std::get_if<config::Deployment>(&object)) {
    spec_replicas = d->spec.replicas;
    status_replicas = d->status.replicas;
    selector = config::selector_to_string(d->spec.selector);
  } else if (const auto* rs = std::get_if<config::ReplicaSet>(&object)) {
    spec_replicas = rs->spec.replicas;
    status_replicas = rs->status.replicas;
    selector = config::selector_to_string(rs->spec.selector);
  }
  nlohmann::json metadata = {{"name", m.name},
                             {"namespace", m.namespace_},
                             {"uid", m.uid},
                             {"resourceVersion", std::to_string(m.resource_version)}};
  if (!m.creation_timestamp.empty()) metadata["creationTimestamp"] = m.creation_timestamp;
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", metadata},
          {"spec", {{"replicas", spec_replicas}}},
          {"status", {{"replicas", status_replicas}, {"selector", selector}}}};
}

config::Result<ScaleChange> scale_from_json(const nlohmann::json& body) {
  if (!body.is_object()) return config::ApiError::bad_request("a Scale body must be a JSON object");
  ScaleChange change;
  const auto spec = body.find("spec");
  if (spec == body.end() || !spec->is_object() || !spec->contains("replicas")) {
    return config::ApiError::invalid(
        "Scale is invalid: spec.replicas: Required value",
        {{"spec.replicas", "FieldValueRequired", "spec.replicas: Required value"}});
  }
  const auto& replicas = (*spec)["replicas"];
  if (!replicas.is_number_integer()) {
    return config::ApiError::bad_request("Scale.spec.replicas: expected an integer, got " +
                                         std::string(replicas.type_name()));
  }
  const auto value = replicas.get<int64_t>();
  if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
    const std::string msg = "spec.replicas: Invalid value: " + std::to_string(value) +
                            ": must be greater than or equal to 0";
    return config::ApiError::invalid("Scale is invalid: " + msg,
                                     {{"spec.replicas", "FieldValueInvalid", msg}});
  }
  change.replicas = static_cast<int>(value);
  if (auto md = body.find("metadata"); md != body.end() && md->is_object()) {
    if (auto rv = md->find("resourceVersion"); rv != md->end() && rv->is_string()) {
      const std::string& text = rv->get_ref<const std::string&>();
      if (!text.empty()) {
        try {
          size_t used = 0;
          change.resource_version = std::stoull(text, &used);
          if (used != text.size()) throw std::invalid_argument(text);
        } catch (const std::exception&) {
          return config::ApiError::bad_request("metadata.resourceVersion: invalid value \"" + text +
                                               "\"");
        }
      }
    }
  }
  return change;
}

config::Object apply_scale(const config::Object& current, const ScaleChange& change) {
  config::Object next = current;
  if (auto* d = std::get_if<config::Deployment>(&next)) d->spec.replicas = change.replicas;
  if (auto* rs = std::get_if<config::ReplicaSet>(&next)) rs->spec.replicas = change.replicas;
  config::meta(next).resource_version = change.resource_version;
  return next;
}

}  // namespace skiff::api
