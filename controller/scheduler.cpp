#include "controller/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <set>
#include <tuple>

#include "controller/event_recorder.h"
#include "controller/rfc3339.h"
#include "controller/scheduler_fit.h"

namespace skiff::controller {
namespace asio = boost::asio;
using config::Pod;

namespace {

bool pending(const Pod& p) { return p.spec.node_name.empty() && !p.metadata.deletion_timestamp; }

// PodScheduled=False/Unschedulable with `message`, the transition time kept while it holds.
config::PodStatus unschedulable_status(const config::PodStatus& stored,
                                       const std::string& message) {
  config::PodStatus s = stored;
  s.phase = "Pending";
  config::Condition c{"PodScheduled", "False", "Unschedulable", message, rfc3339_now(), ""};
  auto it = std::find_if(s.conditions.begin(), s.conditions.end(),
                         [](const config::Condition& x) { return x.type == "PodScheduled"; });
  if (it == s.conditions.end()) {
    s.conditions.push_back(std::move(c));
  } else {
    if (it->status == c.status) c.last_transition_time = it->last_transition_time;
    *it = std::move(c);
  }
  return s;
}

}  // namespace

Scheduler::Scheduler(asio::io_context& io, Store& store, SchedulerOptions options)
    : io_(io), store_(store), options_(std::move(options)) {}

Scheduler::~Scheduler() {
  *alive_ = false;
  if (pod_watch_) store_.unwatch(pod_watch_);
  if (node_watch_) store_.unwatch(node_watch_);
}

void Scheduler::start() {
  pod_watch_ = store_.watch(Kind::kPod, [this](const WatchEvent& ev) { on_pod(ev); });
  node_watch_ = store_.watch(Kind::kNode, [this](const WatchEvent&) {
    ++epoch_;  // allocatable or a cordon may have changed
    request_pass();
  });
  request_pass();
  schedule_retry();
}

void Scheduler::on_pod(const WatchEvent& ev) {
  const Pod* pod = as<Pod>(ev.object);
  if (!pod) return;
  const Pod* before = as<Pod>(ev.previous);
  const bool was_holding =
      before && before->spec.node_name == options_.node_name && holds_resources(*before);
  bool freed = false;
  if (ev.type == WatchEvent::Type::kDeleted) {
    freed = pod->spec.node_name == options_.node_name && holds_resources(*pod);
    attempted_.erase(pod->metadata.uid);
    seen_.erase(pod->metadata.uid);
  } else if (was_holding) {
    freed = !holds_resources(*pod);  // it finished: Succeeded or Failed
  }
  if (freed) ++epoch_;
  if (ev.type != WatchEvent::Type::kDeleted && pending(*pod) &&
      seen_.emplace(pod->metadata.uid, next_seen_).second) {
    ++next_seen_;
  }
  if (freed || (ev.type != WatchEvent::Type::kDeleted && pending(*pod))) request_pass();
}

void Scheduler::request_pass() {
  if (pass_posted_) return;
  pass_posted_ = true;
  // The store must not be written from inside its watch callbacks.
  asio::post(io_, [this, alive = alive_] {
    if (*alive) pass();
  });
}

void Scheduler::schedule_retry() {
  if (options_.retry_period.count() <= 0) return;
  retry_timer_ = std::make_unique<asio::steady_timer>(io_, options_.retry_period);
  retry_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    ++epoch_;
    request_pass();
    schedule_retry();
  });
}

void Scheduler::pass() {
  pass_posted_ = false;
  const auto pods_snapshot = store_.list(Kind::kPod);
  std::vector<const Pod*> pods;
  std::vector<const Pod*> queue;
  std::set<std::string> pending_uids;
  for (const auto& obj : pods_snapshot) {
    const Pod* p = as<Pod>(obj);
    if (!p) continue;
    pods.push_back(p);
    if (!pending(*p)) continue;
    pending_uids.insert(p->metadata.uid);
    if (seen_.emplace(p->metadata.uid, next_seen_).second) ++next_seen_;
    auto it = attempted_.find(p->metadata.uid);
    if (it == attempted_.end() || it->second < epoch_) queue.push_back(p);
  }
  std::erase_if(attempted_, [&](const auto& kv) { return !pending_uids.contains(kv.first); });
  std::erase_if(seen_, [&](const auto& kv) { return !pending_uids.contains(kv.first); });
  if (queue.empty()) return;
  // FIFO by creation; pods created in the same second in the order they arrived.
  std::sort(queue.begin(), queue.end(), [this](const Pod* a, const Pod* b) {
    return std::tie(a->metadata.creation_timestamp, seen_[a->metadata.uid]) <
           std::tie(b->metadata.creation_timestamp, seen_[b->metadata.uid]);
  });

  const auto node_obj = store_.get(Kind::kNode, "", options_.node_name);
  const config::Node* node = as<config::Node>(node_obj);
  ResourceAmounts allocatable;
  std::vector<std::string> node_reasons;  // set: no pod fits, for these reasons
  if (node) {
    auto parsed = parse_amounts(node->status.allocatable, "status.allocatable");
    if (parsed) {
      allocatable = std::move(*parsed);
    } else {
      spdlog::warn("scheduler: node {}: {}", options_.node_name, parsed.error().message);
    }
    if (node->spec.unschedulable) node_reasons = {"node(s) were unschedulable"};
  }

  std::vector<PendingPod> fitting;
  std::map<std::string, std::string> refused;  // uid -> message
  for (const Pod* p : queue) {
    if (!node) {
      refused[p->metadata.uid] = unschedulable_message({}, 0);
      continue;
    }
    if (!node_reasons.empty()) {
      refused[p->metadata.uid] = unschedulable_message(node_reasons, 1);
      continue;
    }
    auto requests = pod_requests(*p);
    if (!requests) {
      refused[p->metadata.uid] = requests.error().message;
      continue;
    }
    fitting.push_back(PendingPod{p->metadata.uid, std::move(*requests)});
  }
  for (const auto& placement :
       place(fitting, allocated_on(pods, options_.node_name), allocatable)) {
    if (!placement.bind) {
      refused[placement.uid] = unschedulable_message(placement.reasons, 1);
    }
  }

  for (const Pod* p : queue) {
    const std::string& uid = p->metadata.uid;
    const std::string ref = p->metadata.namespace_ + "/" + p->metadata.name;
    if (auto r = refused.find(uid); r != refused.end()) {
      attempted_[uid] = epoch_;
      Pod updated = *p;
      updated.status = unschedulable_status(p->status, r->second);
      if (auto w = store_.update_status(updated); !w) {
        spdlog::warn("scheduler: status of pod {}: {}", ref, w.error().message);
      }
      spdlog::info("scheduler: pod {} is unschedulable: {}", ref, r->second);
      if (options_.events) {
        options_.events->warning(event_target(*p), kSchedulerComponent, "FailedScheduling",
                                 r->second);
      }
      continue;
    }
    Pod bound = *p;
    bound.spec.node_name = options_.node_name;
    auto w = store_.update(bound);
    if (!w) {
      // Changed meanwhile (a Conflict): its update event brings it back to the next pass.
      spdlog::warn("scheduler: binding pod {}: {}", ref, w.error().message);
      continue;
    }
    attempted_.erase(uid);
    seen_.erase(uid);
    if (options_.events) {
      options_.events->normal(event_target(*p), kSchedulerComponent, "Scheduled",
                              "Successfully assigned " + ref + " to " + options_.node_name);
    }
  }
}

}  // namespace skiff::controller
