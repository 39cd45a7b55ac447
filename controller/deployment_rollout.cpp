#include "controller/deployment_rollout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"

namespace skiff::controller {
namespace {

void set_condition(std::vector<config::Condition>& conditions, const config::Condition& want,
                   const std::string& now) {
  for (auto& c : conditions) {
    if (c.type != want.type) continue;
    if (c.status != want.status) {
      c = want;
      c.last_transition_time = now;
      c.last_update_time = now;
    } else if (c.reason != want.reason || c.message != want.message) {
      c.reason = want.reason;
      c.message = want.message;
      c.last_update_time = now;
    }
    return;
  }
  auto c = want;
  c.last_transition_time = now;
  c.last_update_time = now;
  conditions.push_back(std::move(c));
}

}  // namespace

int resolve_int_or_percent(const config::IntOrString& v, int total, bool round_up) {
  if (v.is_int) return std::max(v.int_value, 0);
  const auto& s = v.str_value;
  if (s.empty() || s.back() != '%') return 0;
  int pct = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, pct);
  if (ec != std::errc() || p != s.data() + s.size() - 1 || pct < 0) return 0;
  double exact = static_cast<double>(pct) * total / 100.0;
  return static_cast<int>(round_up ? std::ceil(exact) : std::floor(exact));
}

RolloutLimits rollout_limits(const config::DeploymentSpec& spec) {
  RolloutLimits l;
  l.max_surge = resolve_int_or_percent(spec.strategy.max_surge, spec.replicas, true);
  l.max_unavailable = resolve_int_or_percent(spec.strategy.max_unavailable, spec.replicas, false);
  if (l.max_surge == 0 && l.max_unavailable == 0) l.max_unavailable = 1;
  return l;
}

RolloutStep plan_rollout(const config::DeploymentSpec& spec, const ReplicaSetCounts& new_set,
                         const std::vector<ReplicaSetCounts>& old_sets) {
  const int replicas = std::max(spec.replicas, 0);
  RolloutStep step;
  step.new_replicas = new_set.spec_replicas;

  if (spec.strategy.type == "Recreate") {
    bool old_pods = false;
    for (const auto& o : old_sets) {
      if (o.spec_replicas != 0) step.old_replicas[o.name] = 0;
      if (o.status_replicas > 0 || o.spec_replicas > 0) old_pods = true;
    }
    if (!old_pods) step.new_replicas = replicas;
    return step;
  }

  const auto limits = rollout_limits(spec);
  int old_total = 0;
  for (const auto& o : old_sets) old_total += o.spec_replicas;

  // Scale the new set up (or down, if the Deployment shrank).
  if (new_set.spec_replicas > replicas) {
    step.new_replicas = replicas;
  } else if (new_set.spec_replicas < replicas) {
    if (old_total == 0) {
      step.new_replicas = replicas;
    } else {
      int max_total = replicas + limits.max_surge;
      int current = old_total + new_set.spec_replicas;
      if (current < max_total) {
        step.new_replicas += std::min(max_total - current, replicas - new_set.spec_replicas);
      }
    }
  }
  if (old_total == 0) return step;

  // Scale old sets down within the availability budget.
  const int min_available = replicas - limits.max_unavailable;
  const int all_total = old_total + step.new_replicas;
  const int new_unavailable = std::max(step.new_replicas - new_set.available, 0);
  int budget = all_total - min_available - new_unavailable;
  if (budget <= 0) return step;

  std::map<std::string, int> target;
  for (const auto& o : old_sets) target[o.name] = o.spec_replicas;
  // First, pods that are not available cost no availability to remove.
  for (const auto& o : old_sets) {
    if (budget <= 0) break;
    int unhealthy = std::max(o.spec_replicas - o.available, 0);
    int cut = std::min(unhealthy, budget);
    target[o.name] -= cut;
    budget -= cut;
  }
  // Then available ones, as long as availability stays at min_available.
  int available_total = new_set.available;
  for (const auto& o : old_sets) available_total += std::min(o.available, target[o.name]);
  int removable = std::min(available_total - min_available, budget);
  for (const auto& o : old_sets) {
    if (removable <= 0) break;
    int cut = std::min(target[o.name], removable);
    target[o.name] -= cut;
    removable -= cut;
  }
  for (const auto& o : old_sets) {
    if (target[o.name] != o.spec_replicas) step.old_replicas[o.name] = target[o.name];
  }
  return step;
}

config::ReplicaSet replica_set_for_template(const config::Deployment& d, const std::string& hash,
                                            int replicas, int revision) {
  config::ReplicaSet rs;
  rs.metadata.name = d.metadata.name + "-" + hash;
  rs.metadata.namespace_ = d.metadata.namespace_;
  rs.metadata.labels = d.spec.template_.metadata.labels;
  rs.metadata.labels[kPodTemplateHashLabel] = hash;
  rs.metadata.annotations[kRevisionAnnotation] = std::to_string(revision);
  if (auto it = d.metadata.annotations.find(kChangeCauseAnnotation);
      it != d.metadata.annotations.end()) {
    rs.metadata.annotations[kChangeCauseAnnotation] = it->second;
  }
  rs.metadata.owner_references = {
      controller_ref_to(config::Deployment::kApiVersion, config::Deployment::kKind, d.metadata)};
  rs.spec.replicas = replicas;
  rs.spec.min_ready_seconds = d.spec.min_ready_seconds;
  rs.spec.selector = d.spec.selector;
  rs.spec.selector.match_labels[kPodTemplateHashLabel] = hash;
  rs.spec.template_ = d.spec.template_;
  rs.spec.template_.metadata.labels[kPodTemplateHashLabel] = hash;
  return rs;
}

bool same_template(const config::PodTemplateSpec& rs_template,
                   const config::PodTemplateSpec& deployment_template) {
  auto t = rs_template;
  t.metadata.labels.erase(kPodTemplateHashLabel);
  auto d = deployment_template;
  d.metadata.labels.erase(kPodTemplateHashLabel);
  return t == d;
}

int revision_of(const config::ObjectMeta& meta) {
  auto it = meta.annotations.find(kRevisionAnnotation);
  if (it == meta.annotations.end()) return 0;
  int v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  return ec == std::errc() && p == it->second.data() + it->second.size() ? v : 0;
}

config::DeploymentStatus deployment_status(const config::Deployment& d,
                                           const config::ReplicaSet* new_set,
                                           const std::vector<const config::ReplicaSet*>& all,
                                           bool new_set_created, const std::string& now) {
  config::DeploymentStatus s;
  s.observed_generation = d.metadata.generation;
  s.conditions = d.status.conditions;
  int spec_total = 0;
  for (const auto* rs : all) {
    s.replicas += rs->status.replicas;
    s.ready_replicas += rs->status.ready_replicas;
    s.available_replicas += rs->status.available_replicas;
    spec_total += rs->spec.replicas;
  }
  if (new_set) s.updated_replicas = new_set->status.replicas;
  s.unavailable_replicas = std::max(spec_total - s.available_replicas, 0);

  const int replicas = d.spec.replicas;
  const int min_available = replicas - rollout_limits(d.spec).max_unavailable;
  if (s.available_replicas >= min_available) {
    set_condition(s.conditions,
                  {"Available",
                   "True",
                   "MinimumReplicasAvailable",
                   "Deployment has minimum availability.",
                   {},
                   {}},
                  now);
  } else {
    set_condition(s.conditions,
                  {"Available",
                   "False",
                   "MinimumReplicasUnavailable",
                   "Deployment does not have minimum availability.",
                   {},
                   {}},
                  now);
  }

  if (new_set) {
    const auto& name = new_set->metadata.name;
    bool complete = s.updated_replicas == replicas && s.available_replicas == replicas &&
                    s.replicas == replicas && new_set->status.available_replicas == replicas;
    if (complete) {
      set_condition(s.conditions,
                    {"Progressing",
                     "True",
                     "NewReplicaSetAvailable",
                     fmt::format("ReplicaSet \"{}\" has successfully progressed.", name),
                     {},
                     {}},
                    now);
    } else if (new_set_created) {
      set_condition(s.conditions,
                    {"Progressing",
                     "True",
                     "NewReplicaSetCreated",
                     fmt::format("Created new replica set \"{}\"", name),
                     {},
                     {}},
                    now);
    } else {
      set_condition(s.conditions,
                    {"Progressing",
                     "True",
                     "ReplicaSetUpdated",
                     fmt::format("ReplicaSet \"{}\" is progressing.", name),
                     {},
                     {}},
                    now);
    }
  }
  // Kubernetes lists Available before Progressing.
  std::stable_sort(s.conditions.begin(), s.conditions.end(),
                   [](const config::Condition& a, const config::Condition& b) {
                     return a.type == "Available" && b.type != "Available";
                   });
  return s;
}

}  // namespace skiff::controller
