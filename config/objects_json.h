// JSON conversion of the typed objects, with the Kubernetes API's field names and shapes
// (camelCase, resourceVersion as a string, empty fields omitted, `kind` and `apiVersion` set).
#pragma once

#include <nlohmann/json.hpp>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::config {

using nlohmann::json;

// Object <-> JSON. from_json is lenient about unknown fields (validation reports those) and
// strict about types: a wrong type is an ApiError (BadRequest) naming the field path.
json to_json(const Object& object);
Result<Object> object_from_json(const json& j);  // dispatches on "kind"
Result<Object> object_from_json(Kind kind, const json& j);

// A Kubernetes List ("PodList", items, metadata.resourceVersion).
json list_to_json(Kind kind, const std::vector<ObjectPtr>& items, uint64_t resource_version);

// The Kubernetes Status object for an error, and for a successful delete.
json status_to_json(const ApiError& error);
json success_status_json(const std::string& message = {});

// Per-type conversions, found by nlohmann's ADL (so json(pod) and j.get<Pod>() work).
void to_json(json& j, const ObjectMeta& v);
void from_json(const json& j, ObjectMeta& v);
void to_json(json& j, const Pod& v);
void from_json(const json& j, Pod& v);
void to_json(json& j, const Service& v);
void from_json(const json& j, Service& v);
void to_json(json& j, const Endpoints& v);
void from_json(const json& j, Endpoints& v);
void to_json(json& j, const Deployment& v);
void from_json(const json& j, Deployment& v);
void to_json(json& j, const ReplicaSet& v);
void from_json(const json& j, ReplicaSet& v);
void to_json(json& j, const Event& v);
void from_json(const json& j, Event& v);
void to_json(json& j, const ConfigMap& v);
void from_json(const json& j, ConfigMap& v);
void to_json(json& j, const Secret& v);
void from_json(const json& j, Secret& v);
void to_json(json& j, const Node& v);
void from_json(const json& j, Node& v);
void to_json(json& j, const PodTemplateSpec& v);
void from_json(const json& j, PodTemplateSpec& v);

}  // namespace skiff::config
