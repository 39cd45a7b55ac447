#include "config/objects_json_internal.h"

namespace skiff::config {

namespace json_detail {

void read(const json& j, const std::string& p, ReplicaSetSpec& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "minReadySeconds", v.min_ready_seconds);
  field(j, p, "selector", v.selector);
  field(j, p, "template", v.template_);
}

void read(const json& j, const std::string& p, ReplicaSetStatus& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "fullyLabeledReplicas", v.fully_labeled_replicas);
  field(j, p, "readyReplicas", v.ready_replicas);
  field(j, p, "availableReplicas", v.available_replicas);
  field(j, p, "observedGeneration", v.observed_generation);
}

void read(const json& j, const std::string& p, DeploymentStrategy& v) {
  expect_object(j, p);
  field(j, p, "type", v.type);
  if (const json* ru = find(j, "rollingUpdate")) {
    const std::string rp = at(p, "rollingUpdate");
    expect_object(*ru, rp);
    field(*ru, rp, "maxSurge", v.max_surge);
    field(*ru, rp, "maxUnavailable", v.max_unavailable);
  }
}

void read(const json& j, const std::string& p, DeploymentSpec& v) {
  expect_object(j, p);
  field(j, p, "replicas", v.replicas);
  field(j, p, "selector", v.selector);
  field(j, p, "template", v.template_);
  field(j, p, "strategy", v.strategy);
  field(j, p, "minReadySeconds", v.min_ready_seconds);
  field(j, p, "revisionHistoryLimit", v.revision_history_limit);
  field(j, p, "progressDeadlineSeconds", v.progress_deadline_seconds);
  field(j, p, "paused", v.paused);
}

void read(const json& j, const std::string& p, DeploymentStatus& v) {
  expect_object(j, p);
  field(j, p, "observedGeneration", v.observed_generation);
  field(j, p, "replicas", v.replicas);
  field(j, p, "updatedReplicas", v.updated_replicas);
  field(j, p, "readyReplicas", v.ready_replicas);
  field(j, p, "availableReplicas", v.available_replicas);
  field(j, p, "unavailableReplicas", v.unavailable_replicas);
  field(j, p, "conditions", v.conditions);
}

void read(const json& j, const std::string& p, Deployment& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}
void read(const json& j, const std::string& p, ReplicaSet& v) {
  expect_object(j, p);
  field(j, p, "metadata", v.metadata);
  field(j, p, "spec", v.spec);
  field(j, p, "status", v.status);
}

}  // namespace json_detail

void to_json(json& j, const Deployment& v) {
  j = json::object();
  j["kind"] = Deployment::kKind;
  j["apiVersion"] = Deployment::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  spec["replicas"] = v.spec.replicas;
  spec["selector"] = v.spec.selector;
  spec["template"] = v.spec.template_;
  json strategy = json::object();
  put(strategy, "type", v.spec.strategy.type);
  if (v.spec.strategy.type == "RollingUpdate") {
    strategy["rollingUpdate"] = {
        {"maxSurge", int_or_string(v.spec.strategy.max_surge)},
        {"maxUnavailable", int_or_string(v.spec.strategy.max_unavailable)}};
  }
  spec["strategy"] = std::move(strategy);
  put_nonzero(spec, "minReadySeconds", v.spec.min_ready_seconds);
  spec["revisionHistoryLimit"] = v.spec.revision_history_limit;
  spec["progressDeadlineSeconds"] = v.spec.progress_deadline_seconds;
  put_true(spec, "paused", v.spec.paused);
  j["spec"] = std::move(spec);
  json status = json::object();
  status["observedGeneration"] = v.status.observed_generation;
  status["replicas"] = v.status.replicas;
  status["updatedReplicas"] = v.status.updated_replicas;
  status["readyReplicas"] = v.status.ready_replicas;
  status["availableReplicas"] = v.status.available_replicas;
  status["unavailableReplicas"] = v.status.unavailable_replicas;
  put_list(status, "conditions", v.status.conditions);
  j["status"] = std::move(status);
}
void from_json(const json& j, Deployment& v) { read(j, "", v); }

void to_json(json& j, const ReplicaSet& v) {
  j = json::object();
  j["kind"] = ReplicaSet::kKind;
  j["apiVersion"] = ReplicaSet::kApiVersion;
  j["metadata"] = v.metadata;
  json spec = json::object();
  spec["replicas"] = v.spec.replicas;
  put_nonzero(spec, "minReadySeconds", v.spec.min_ready_seconds);
  spec["selector"] = v.spec.selector;
  spec["template"] = v.spec.template_;
  j["spec"] = std::move(spec);
  j["status"] = {{"replicas", v.status.replicas},
                 {"fullyLabeledReplicas", v.status.fully_labeled_replicas},
                 {"readyReplicas", v.status.ready_replicas},
                 {"availableReplicas", v.status.available_replicas},
                 {"observedGeneration", v.status.observed_generation}};
}
void from_json(const json& j, ReplicaSet& v) { read(j, "", v); }

}  // namespace skiff::config
