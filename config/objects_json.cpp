#include "config/objects_json.h"

#include "config/kinds.h"
#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

void read(const json& j, const std::string& p, OwnerReference& v) {
  expect_object(j, p);
  field(j, p, "apiVersion", v.api_version);
  field(j, p, "kind", v.kind);
  field(j, p, "name", v.name);
  field(j, p, "uid", v.uid);
  field(j, p, "controller", v.controller);
  field(j, p, "blockOwnerDeletion", v.block_owner_deletion);
}

void read(const json& j, const std::string& p, ObjectMeta& v) {
  expect_object(j, p);
  field(j, p, "name", v.name);
  field(j, p, "generateName", v.generate_name);
  field(j, p, "namespace", v.namespace_);
  if (v.namespace_.empty()) v.namespace_ = "default";
  field(j, p, "uid", v.uid);
  if (const json* rv = find(j, "resourceVersion")) {
    const std::string path = at(p, "resourceVersion");
    if (rv->is_string()) {
      const std::string s = rv->get<std::string>();
      v.resource_version = 0;
      if (!s.empty()) {
        if (s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
          throw ApiError::bad_request(path + ": invalid resource version \"" + s + "\"");
        }
        v.resource_version = std::stoull(s);
      }
    } else if (rv->is_number_unsigned() || (rv->is_number_integer() && rv->get<int64_t>() >= 0)) {
      v.resource_version = rv->get<uint64_t>();
    } else {
      type_error(path, "string", *rv);
    }
  }
  field(j, p, "generation", v.generation);
  field(j, p, "creationTimestamp", v.creation_timestamp);
  field(j, p, "deletionTimestamp", v.deletion_timestamp);
  field(j, p, "deletionGracePeriodSeconds", v.deletion_grace_period_seconds);
  field(j, p, "labels", v.labels);
  field(j, p, "annotations", v.annotations);
  field(j, p, "ownerReferences", v.owner_references);
}

void read(const json& j, const std::string& p, LabelSelectorRequirement& v) {
  expect_object(j, p);
  field(j, p, "key", v.key);
  field(j, p, "operator", v.op);
  field(j, p, "values", v.values);
}

void read(const json& j, const std::string& p, LabelSelector& v) {
  expect_object(j, p);
  field(j, p, "matchLabels", v.match_labels);
  field(j, p, "matchExpressions", v.match_expressions);
}

void read(const json& j, const std::string& p, Condition& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  field(j, p, "status", v.status);
  field(j, p, "reason", v.reason);
  field(j, p, "message", v.message);
  field(j, p, "lastTransitionTime", v.last_transition_time);
  field(j, p, "lastUpdateTime", v.last_update_time);
}

void read(const json& j, const std::string& p, ObjectReference& v) {
  expect_object(j, p);
  field(j, p, "kind", v.kind);
  field(j, p, "namespace", v.namespace_);
  field(j, p, "name", v.name);
  field(j, p, "uid", v.uid);
  field(j, p, "apiVersion", v.api_version);
  field(j, p, "fieldPath", v.field_path);
}

json meta_json(const ObjectMeta& v, bool is_template) {
  json o = json::object();
  put(o, "name", v.name);
  put(o, "generateName", v.generate_name);
  // A template's metadata carries no namespace in Kubernetes; the default is not worth printing.
  if (!(is_template && v.namespace_ == "default")) put(o, "namespace", v.namespace_);
  put(o, "uid", v.uid);
  if (v.resource_version != 0) o["resourceVersion"] = std::to_string(v.resource_version);
  put_nonzero(o, "generation", v.generation);
  put(o, "creationTimestamp", v.creation_timestamp);
  if (v.deletion_timestamp) o["deletionTimestamp"] = *v.deletion_timestamp;
  if (v.deletion_grace_period_seconds) {
    o["deletionGracePeriodSeconds"] = *v.deletion_grace_period_seconds;
  }
  put(o, "labels", v.labels);
  put(o, "annotations", v.annotations);
  put_list(o, "ownerReferences", v.owner_references);
  return o;
}

}  // namespace json_detail

// Per-type writers found by ADL from put_list and json(x).
void to_json(json& j, const OwnerReference& v) {
  j = json::object();
  put(j, "apiVersion", v.api_version);
  put(j, "kind", v.kind);
  put(j, "name", v.name);
  put(j, "uid", v.uid);
  put_true(j, "controller", v.controller);
  put_true(j, "blockOwnerDeletion", v.block_owner_deletion);
}

void to_json(json& j, const LabelSelectorRequirement& v) {
  j = json::object();
  j["key"] = v.key;
  j["operator"] = v.op;
  put(j, "values", v.values);
}

void to_json(json& j, const LabelSelector& v) {
  j = json::object();
  put(j, "matchLabels", v.match_labels);
  put_list(j, "matchExpressions", v.match_expressions);
}

void to_json(json& j, const Condition& v) {
  j = json::object();
  j["type"] = v.type;
  j["status"] = v.status;
  put(j, "reason", v.reason);
  put(j, "message", v.message);
  put(j, "lastTransitionTime", v.last_transition_time);
  put(j, "lastUpdateTime", v.last_update_time);
}

void to_json(json& j, const ObjectMeta& v) { j = meta_json(v, false); }
void from_json(const json& j, ObjectMeta& v) { read(j, "metadata", v); }

json to_json(const Object& object) {
  return std::visit([](const auto& o) { return json(o); }, object);
}

Result<Object> object_from_json(Kind kind, const json& j) {
  try {
    if (!j.is_object()) type_error("object", "object", j);
    switch (kind) {
      case Kind::kPod: {
        Pod v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kService: {
        Service v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kEndpoints: {
        Endpoints v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kDeployment: {
        Deployment v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kReplicaSet: {
        ReplicaSet v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kEvent: {
        Event v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kConfigMap: {
        ConfigMap v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kSecret: {
        Secret v;
        read(j, "", v);
        return Object(std::move(v));
      }
      case Kind::kNode: {
        Node v;
        read(j, "", v);
        return Object(std::move(v));
      }
    }
    return ApiError::bad_request("unknown kind");
  } catch (const ApiError& e) {
    return e;
  } catch (const std::exception& e) {
    return ApiError::bad_request(e.what());
  }
}

Result<Object> object_from_json(const json& j) {
  if (!j.is_object()) return ApiError::bad_request("expected a JSON object, got " + type_name(j));
  const json* kind = find(j, "kind");
  const json* api_version = find(j, "apiVersion");
  if (kind == nullptr || !kind->is_string() || kind->get<std::string>().empty()) {
    return ApiError::bad_request("Object 'Kind' is missing");
  }
  if (api_version == nullptr || !api_version->is_string()) {
    return ApiError::bad_request("Object 'apiVersion' is missing");
  }
  const std::string k = kind->get<std::string>();
  const std::string v = api_version->get<std::string>();
  for (Kind candidate : kAllKinds) {
    const KindInfo& info = kind_info(candidate);
    if (info.name == k && info.api_version == v) return object_from_json(candidate, j);
  }
  return ApiError::bad_request("no matches for kind \"" + k + "\" in version \"" + v + "\"");
}

json list_to_json(Kind kind, const std::vector<ObjectPtr>& items, uint64_t resource_version) {
  const KindInfo& info = kind_info(kind);
  json list = json::object();
  list["kind"] = std::string(info.name) + "List";
  list["apiVersion"] = std::string(info.api_version);
  list["metadata"] = {{"resourceVersion", std::to_string(resource_version)}};
  json arr = json::array();
  for (const auto& item : items) {
    if (item) arr.push_back(to_json(*item));
  }
  list["items"] = std::move(arr);
  return list;
}

json status_to_json(const ApiError& error) {
  json s = json::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = json::object();
  s["status"] = "Failure";
  s["message"] = error.message;
  s["reason"] = error.reason;
  if (!error.causes.empty()) {
    json causes = json::array();
    for (const auto& c : error.causes) {
      json cause = json::object();
      put(cause, "reason", c.reason);
      put(cause, "message", c.message);
      put(cause, "field", c.field);
      causes.push_back(std::move(cause));
    }
    s["details"] = {{"causes", std::move(causes)}};
  }
  s["code"] = error.code;
  return s;
}

json success_status_json(const std::string& message) {
  json s = json::object();
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = json::object();
  s["status"] = "Success";
  if (!message.empty()) s["message"] = message;
  s["code"] = 200;
  return s;
}

}  // namespace skiff::config
