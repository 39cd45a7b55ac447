#include "controller/deployment_rollout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "controller/pod_state.h"
#include "controller/pod_template_hash.h"
#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

// Annotations that describe the Deployment itself and are never copied to its ReplicaSets
// (deployment_util.go's annotationsToSkip).
bool skipped_annotation(const std::string& key) {
  return key == kRevisionAnnotation || key == "deployment.kubernetes.io/revision-history" ||
         key == "deployment.kubernetes.io/desired-replicas" ||
         key == "deployment.kubernetes.io/max-replicas" ||
         key == "kubectl.kubernetes.io/last-applied-configuration";
}

config::Condition* find_condition(std::vector<config::Condition>& conditions,
                                  const std::string& type) {
  for (auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

config::Condition make_condition(std::string type, std::string status, std::string reason,
                                 std::string message, const std::string& now) {
  return config::Condition{
      std::move(type), std::move(status), std::move(reason), std::move(message), now, now};
}

// SetDeploymentCondition: a condition with the same status and reason is left as it is; a new
// reason replaces it, keeping lastTransitionTime while the status stays the same.
void set_condition(std::vector<config::Condition>& conditions, config::Condition want) {
  if (auto* c = find_condition(conditions, want.type)) {
    if (c->status == want.status && c->reason == want.reason) return;
    if (c->status == want.status) want.last_transition_time = c->last_transition_time;
    *c = std::move(want);
    return;
  }
  conditions.push_back(std::move(want));
}

// DeploymentComplete: every replica updated and available, no old one left.
bool complete(const config::Deployment& d, const config::DeploymentStatus& s) {
  const int replicas = d.spec.replicas;
  return s.updated_replicas == replicas && s.replicas == replicas &&
         s.available_replicas == replicas && s.observed_generation >= d.metadata.generation;
}

// DeploymentProgressing: more updated, fewer old, more ready or more available than before.
bool progressed(const config::DeploymentStatus& before, const config::DeploymentStatus& after) {
  const int old_before = before.replicas - before.updated_replicas;
  const int old_after = after.replicas - after.updated_replicas;
  return after.updated_replicas > before.updated_replicas || old_after < old_before ||
         after.ready_replicas > before.ready_replicas ||
         after.available_replicas > before.available_replicas;
}

std::optional<std::chrono::system_clock::time_point> last_update(const config::Condition& c) {
  return parse_rfc3339(c.last_update_time.empty() ? c.last_transition_time : c.last_update_time);
}

}  // namespace

int resolve_int_or_percent(const config::IntOrString& v, int total, bool round_up) {
  if (v.is_int) return std::max(v.int_value, 0);
  const auto& s = v.str_value;
  if (s.empty() || s.back() != '%') return 0;
  int pct = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, pct);
  if (ec != std::errc() || p != s.data() + s.size() - 1 || pct < 0) return 0;
  // Integer arithmetic: 25% of 4 is exactly 1, never 0.99999 or 1.00001.
  const int64_t scaled = static_cast<int64_t>(pct) * total;
  const int64_t value = round_up ? (scaled + 99) / 100 : scaled / 100;
  return static_cast<int>(value);
}

RolloutLimits rollout_limits(const config::DeploymentSpec& spec) {
  RolloutLimits l;
  const int replicas = std::max(spec.replicas, 0);
  l.max_surge = resolve_int_or_percent(spec.strategy.max_surge, replicas, true);
  l.max_unavailable = resolve_int_or_percent(spec.strategy.max_unavailable, replicas, false);
  if (l.max_surge == 0 && l.max_unavailable == 0) l.max_unavailable = 1;
  return l;
}

int max_unavailable(const config::DeploymentSpec& spec) {
  if (spec.strategy.type != "RollingUpdate" || spec.replicas <= 0) return 0;
  return std::min(rollout_limits(spec).max_unavailable, spec.replicas);
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
      if (o.spec_replicas > 0 || o.status_replicas > 0 || o.pods > 0) old_pods = true;
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

config::StringMap new_replica_set_annotations(const config::Deployment& d,
                                              const config::StringMap& current, int revision) {
  config::StringMap out = current;
  for (const auto& [k, v] : d.metadata.annotations) {
    if (!skipped_annotation(k)) out[k] = v;
  }
  out[kRevisionAnnotation] = std::to_string(revision);
  return out;
}

config::ReplicaSet replica_set_for_template(const config::Deployment& d, const std::string& hash,
                                            int replicas, int revision) {
  config::ReplicaSet rs;
  rs.metadata.name = d.metadata.name + "-" + hash;
  rs.metadata.namespace_ = d.metadata.namespace_;
  rs.metadata.labels = d.spec.template_.metadata.labels;
  rs.metadata.labels[kPodTemplateHashLabel] = hash;
  rs.metadata.annotations = new_replica_set_annotations(d, {}, revision);
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

StatusPlan deployment_status(const config::Deployment& d, const config::ReplicaSet* new_set,
                             const std::vector<const config::ReplicaSet*>& all,
                             bool new_set_created, std::chrono::system_clock::time_point now) {
  const std::string stamp = to_rfc3339(now);
  StatusPlan plan;
  config::DeploymentStatus& s = plan.status;
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
  if (s.available_replicas >= replicas - max_unavailable(d.spec)) {
    set_condition(s.conditions, make_condition("Available", "True", "MinimumReplicasAvailable",
                                               "Deployment has minimum availability.", stamp));
  } else {
    set_condition(s.conditions,
                  make_condition("Available", "False", "MinimumReplicasUnavailable",
                                 "Deployment does not have minimum availability.", stamp));
  }

  const std::string rs_name = new_set ? new_set->metadata.name : std::string();
  auto named = [&](const char* with_rs, const char* without) {
    return new_set ? fmt::format(fmt::runtime(with_rs), rs_name)
                   : fmt::format(fmt::runtime(without), d.metadata.name);
  };

  // A paused Deployment makes no progress and cannot time out (sync.go, checkPausedConditions).
  config::Condition* progressing = find_condition(s.conditions, "Progressing");
  if (d.spec.paused) {
    if (!progressing || progressing->reason != kDeploymentPaused) {
      set_condition(s.conditions, make_condition("Progressing", "Unknown", kDeploymentPaused,
                                                 "Deployment is paused", stamp));
    }
    return plan;
  }
  if (progressing && progressing->reason == kDeploymentPaused) {
    set_condition(s.conditions, make_condition("Progressing", "Unknown", kDeploymentResumed,
                                               "Deployment is resumed", stamp));
  }
  if (new_set_created) {
    set_condition(s.conditions,
                  make_condition("Progressing", "True", kNewReplicaSetCreated,
                                 fmt::format("Created new replica set \"{}\"", rs_name), stamp));
  } else if (new_set && !find_condition(s.conditions, "Progressing")) {
    set_condition(s.conditions,
                  make_condition("Progressing", "True", kFoundNewReplicaSet,
                                 fmt::format("Found new replica set \"{}\"", rs_name), stamp));
  }

  progressing = find_condition(s.conditions, "Progressing");
  const bool already_complete = s.replicas == s.updated_replicas && progressing &&
                                progressing->reason == kNewReplicaSetAvailable;
  if (!already_complete) {
    if (complete(d, s)) {
      set_condition(s.conditions,
                    make_condition("Progressing", "True", kNewReplicaSetAvailable,
                                   named("ReplicaSet \"{}\" has successfully progressed.",
                                         "Deployment \"{}\" has successfully progressed."),
                                   stamp));
    } else if (progressed(d.status, s)) {
      // Progress moves lastUpdateTime even when the reason stays the same: the deadline
      // counts from the last progress.
      auto c = make_condition(
          "Progressing", "True", kReplicaSetUpdated,
          named("ReplicaSet \"{}\" is progressing.", "Deployment \"{}\" is progressing."), stamp);
      if (!progressing) {
        s.conditions.push_back(std::move(c));
      } else {
        if (progressing->status == "True")
          c.last_transition_time = progressing->last_transition_time;
        *progressing = std::move(c);
      }
    } else if (progressing && progressing->reason != kNewReplicaSetAvailable) {
      const auto since = last_update(*progressing);
      const auto deadline = std::chrono::seconds(std::max(d.spec.progress_deadline_seconds, 1));
      if (progressing->reason == kProgressDeadlineExceeded || (since && *since + deadline < now)) {
        set_condition(s.conditions,
                      make_condition("Progressing", "False", kProgressDeadlineExceeded,
                                     named("ReplicaSet \"{}\" has timed out progressing.",
                                           "Deployment \"{}\" has timed out progressing."),
                                     stamp));
      }
    }
  }

  // requeueStuckDeployment: without another event, look again when the deadline passes.
  progressing = find_condition(s.conditions, "Progressing");
  if (progressing && !complete(d, s) && progressing->reason != kProgressDeadlineExceeded &&
      progressing->reason != kNewReplicaSetAvailable) {
    if (const auto since = last_update(*progressing)) {
      const auto at = *since + std::chrono::seconds(std::max(d.spec.progress_deadline_seconds, 1));
      const auto left = std::chrono::ceil<std::chrono::seconds>(at - now);
      plan.recheck_after = std::max(left, std::chrono::seconds(0)) + std::chrono::seconds(1);
    }
  }

  // Kubernetes lists Available before Progressing.
  std::stable_sort(s.conditions.begin(), s.conditions.end(),
                   [](const config::Condition& a, const config::Condition& b) {
                     return a.type == "Available" && b.type != "Available";
                   });
  return plan;
}

std::vector<std::string> replica_sets_to_prune(
    const std::vector<const config::ReplicaSet*>& old_sets, int revision_history_limit) {
  std::vector<const config::ReplicaSet*> cleanable;
  for (const auto* rs : old_sets) {
    if (rs && !rs->metadata.deletion_timestamp) cleanable.push_back(rs);
  }
  const int diff = static_cast<int>(cleanable.size()) - std::max(revision_history_limit, 0);
  if (diff <= 0) return {};
  std::sort(cleanable.begin(), cleanable.end(), [](const auto* a, const auto* b) {
    int ra = revision_of(a->metadata), rb = revision_of(b->metadata);
    if (ra != rb) return ra < rb;
    if (a->metadata.creation_timestamp != b->metadata.creation_timestamp) {
      return a->metadata.creation_timestamp < b->metadata.creation_timestamp;
    }
    return a->metadata.name < b->metadata.name;
  });
  std::vector<std::string> out;
  for (int i = 0; i < diff; ++i) {
    const auto* rs = cleanable[static_cast<size_t>(i)];
    // Still scaling down, or its status not caught up with its spec: not yet.
    if (rs->status.replicas != 0 || rs->spec.replicas != 0 ||
        rs->metadata.generation > rs->status.observed_generation) {
      continue;
    }
    out.push_back(rs->metadata.name);
  }
  return out;
}

}  // namespace skiff::controller
