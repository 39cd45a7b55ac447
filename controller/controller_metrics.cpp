#include "controller/controller_metrics.h"

#include <boost/asio/post.hpp>
#include <functional>
#include <string_view>

#include "config/kinds.h"
#include "controller/pod_state.h"
#include "controller/work_queue.h"

namespace skiff::controller {
namespace {

using std::chrono::duration;

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<duration<double>>(d).count();
}

// Reconciles and syncs take microseconds to milliseconds; a slow one is what matters.
std::vector<double> loop_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

// From a pod turning Ready to traffic reaching it: milliseconds when all is well, seconds
// under load, minutes when something is stuck (kube-proxy's histogram reaches 5 minutes too).
std::vector<double> programming_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

bool failure_reason(std::string_view reason) {
  for (const char* r : kPodFailureReasons) {
    if (reason == r) return true;
  }
  return false;
}

const config::ContainerStatus* find_status(const config::Pod& pod, const std::string& name) {
  for (const auto& s : pod.status.container_statuses) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string_view waiting_reason(const config::ContainerStatus* s) {
  return s && s->state.waiting ? std::string_view(s->state.waiting->reason) : std::string_view();
}

}  // namespace

PodTransition pod_transition(const config::Pod& previous, const config::Pod& current) {
  PodTransition t;
  t.started = previous.status.phase == "Pending" && current.status.phase == "Running";
  if (current.status.phase == "Failed" && previous.status.phase != "Failed") {
    t.failures.emplace_back("PodFailed");
  }
  for (const auto& now : current.status.container_statuses) {
    const config::ContainerStatus* before = find_status(previous, now.name);
    if (now.state.running) {
      // A new run: not running before, or running under another container id (a restart
      // whose intermediate states were never stored).
      const bool was_running = before && before->state.running;
      if (!was_running || before->container_id != now.container_id) ++t.container_starts;
    }
    const int before_restarts = before ? before->restart_count : 0;
    if (now.restart_count > before_restarts) t.restarts += now.restart_count - before_restarts;
    const std::string_view reason = waiting_reason(&now);
    if (!reason.empty() && reason != waiting_reason(before) && failure_reason(reason)) {
      t.failures.emplace_back(reason);
    }
  }
  const bool was_ready = pod_ready(previous);
  const bool is_ready = pod_ready(current) && !current.metadata.deletion_timestamp;
  t.became_ready = !was_ready && is_ready;
  t.became_unready = was_ready && !is_ready;
  return t;
}

bool routes_to(const ServiceTable& table, const std::string& ns, const std::string& pod_name) {
  for (const auto& service : table.services) {
    if (service.ns != ns) continue;
    for (const auto& port : service.ports) {
      for (const auto& endpoint : port.endpoints) {
        if (endpoint.pod_name == pod_name) return true;
      }
    }
  }
  return false;
}

// ---- ProgrammingLatencyTracker ----------------------------------------------------------

void ProgrammingLatencyTracker::ready(const std::string& ns, const std::string& name,
                                      Clock::time_point at) {
  expire(at);
  gone(ns, name);  // a pod that flapped is measured from its latest Ready
  if (pending_.size() + awaiting_count_ >= kMaxTracked) return;
  pending_[{ns, name}] = at;
}

void ProgrammingLatencyTracker::gone(const std::string& ns, const std::string& name) {
  const PodKey key{ns, name};
  if (pending_.erase(key) > 0) return;
  for (auto it = awaiting_.begin(); it != awaiting_.end(); ++it) {
    if (it->second.first == key) {
      awaiting_.erase(it);
      --awaiting_count_;
      return;
    }
  }
}

void ProgrammingLatencyTracker::published(const ServiceTable& table, Clock::time_point now) {
  expire(now);
  if (pending_.empty()) return;
  for (const auto& service : table.services) {
    for (const auto& port : service.ports) {
      for (const auto& endpoint : port.endpoints) {
        if (endpoint.pod_name.empty()) continue;
        auto it = pending_.find(PodKey{service.ns, endpoint.pod_name});
        if (it == pending_.end()) continue;
        awaiting_.emplace(table.version, std::pair(it->first, it->second));
        ++awaiting_count_;
        pending_.erase(it);
        if (pending_.empty()) return;
      }
    }
  }
}

std::vector<ProgrammingLatencyTracker::Clock::duration> ProgrammingLatencyTracker::programmed(
    std::uint64_t programmed_version, Clock::time_point now) {
  std::vector<Clock::duration> done;
  auto end = awaiting_.upper_bound(programmed_version);
  for (auto it = awaiting_.begin(); it != end; ++it) done.push_back(now - it->second.second);
  awaiting_.erase(awaiting_.begin(), end);
  awaiting_count_ = awaiting_.size();
  return done;
}

void ProgrammingLatencyTracker::expire(Clock::time_point now) {
  std::erase_if(pending_,
                [now](const auto& entry) { return now - entry.second > kPendingTimeout; });
}

// ---- ControllerMetrics ------------------------------------------------------------------

// Everything the callbacks touch. Used only on the controller loop, apart from the metric
// objects themselves (thread-safe).
class ControllerMetrics::State final : public WorkQueueObserver {
 public:
  State(metrics::Registry& r, const ServiceTableSource& table)
      : source(&table),
        reconciles(r.counter("skiff_controller_reconciles_total", "Reconciles run, by controller.",
                             {"controller"})),
        reconcile_duration(r.histogram("skiff_controller_reconcile_duration_seconds",
                                       "Time one reconcile took, by controller.", {"controller"},
                                       loop_buckets())),
        adds(r.counter("skiff_controller_workqueue_adds_total",
                       "Keys added to a controller's work queue.", {"controller"})),
        depth(r.gauge("skiff_controller_workqueue_depth",
                      "Keys waiting in a controller's work queue.", {"controller"})),
        objects(r.gauge("skiff_controller_objects", "Objects in the store, by kind.", {"kind"})),
        pod_starts(r.counter("skiff_controller_pod_starts_total",
                             "Pods that went from Pending to Running.", {"namespace"})),
        container_starts(r.counter("skiff_controller_container_starts_total",
                                   "Container runs started (first starts and restarts).",
                                   {"namespace"})),
        container_restarts(r.counter("skiff_controller_container_restarts_total",
                                     "Container restarts (increments of restartCount).",
                                     {"namespace"})),
        pod_failures(r.counter("skiff_controller_pod_failures_total",
                               "Pods that failed or entered a waiting state that keeps a "
                               "container from running, by reason.",
                               {"namespace", "reason"})),
        sync_duration(r.histogram("skiff_controller_service_table_sync_duration_seconds",
                                  "Time one ServiceTable sync took (rebuilding changed Services "
                                  "and publishing the snapshot).",
                                  {}, loop_buckets())),
        last_published(
            r.gauge("skiff_controller_service_table_last_published_timestamp_seconds",
                    "When the last ServiceTable snapshot was published, in seconds since the "
                    "Unix epoch.")),
        programming(r.histogram("skiff_controller_network_programming_duration_seconds",
                                "Time from a pod turning Ready to the proxy serving a snapshot "
                                "that routes to it.",
                                {}, programming_buckets())) {
    for (const char* name :
         {"service", "endpoints", "replicaset", "deployment", "garbagecollector"}) {
      queue(name);  // every controller exports from the start, at zero
    }
  }

  void added(std::string_view name, std::size_t waiting) override {
    auto& q = queue(name);
    q.adds->inc();
    q.depth->set(static_cast<double>(waiting));
  }

  void reconciled(std::string_view name, std::chrono::steady_clock::duration took,
                  std::size_t waiting) override {
    auto& q = queue(name);
    q.runs->inc();
    q.duration->observe(seconds(took));
    q.depth->set(static_cast<double>(waiting));
  }

  void on_pod(const WatchEvent& e) {
    const auto* pod = as<config::Pod>(e.object);
    if (!pod) return;
    const auto& key = pod->metadata;
    if (e.type == WatchEvent::Type::kDeleted) {
      tracker.gone(key.namespace_, key.name);
      return;
    }
    const auto* previous = as<config::Pod>(e.previous);
    if (!previous) return;
    const PodTransition t = pod_transition(*previous, *pod);
    const std::string& ns = key.namespace_;
    if (t.started) pod_starts.with({ns}).inc();
    if (t.container_starts > 0) container_starts.with({ns}).inc(t.container_starts);
    if (t.restarts > 0) container_restarts.with({ns}).inc(t.restarts);
    for (const auto& reason : t.failures) pod_failures.with({ns, reason}).inc();
    // The watch runs as the status update commits, so "now" is the Ready transition to well
    // within a millisecond; the condition's lastTransitionTime has only whole seconds. A pod
    // that flapped back before its unready state was ever published needs no programming.
    if (t.became_ready && !routes_to(*source->current(), ns, key.name)) {
      tracker.ready(ns, key.name, std::chrono::steady_clock::now());
    }
    if (t.became_unready) tracker.gone(ns, key.name);
  }

  void on_published(const ServiceTable& table, std::uint64_t programmed_version) {
    last_published.with({}).set(std::chrono::duration_cast<duration<double>>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
    const auto now = std::chrono::steady_clock::now();
    tracker.published(table, now);
    on_programmed(programmed_version);
  }

  void on_programmed(std::uint64_t programmed_version) {
    if (tracker.awaiting() == 0) return;
    for (auto d : tracker.programmed(programmed_version, std::chrono::steady_clock::now())) {
      programming.with({}).observe(seconds(d));
    }
  }

  const ServiceTableSource* source;
  metrics::CounterFamily& reconciles;
  metrics::HistogramFamily& reconcile_duration;
  metrics::CounterFamily& adds;
  metrics::GaugeFamily& depth;
  metrics::GaugeFamily& objects;
  metrics::CounterFamily& pod_starts;
  metrics::CounterFamily& container_starts;
  metrics::CounterFamily& container_restarts;
  metrics::CounterFamily& pod_failures;
  metrics::HistogramFamily& sync_duration;
  metrics::GaugeFamily& last_published;
  metrics::HistogramFamily& programming;
  ProgrammingLatencyTracker tracker;

 private:
  struct Queue {
    metrics::Counter* runs;
    metrics::Histogram* duration;
    metrics::Counter* adds;
    metrics::Gauge* depth;
  };

  Queue& queue(std::string_view name) {
    auto it = queues_.find(name);
    if (it != queues_.end()) return it->second;
    const std::vector<std::string> labels{std::string(name)};
    Queue q{&reconciles.with(labels), &reconcile_duration.with(labels), &adds.with(labels),
            &depth.with(labels)};
    return queues_.emplace(std::string(name), q).first->second;
  }

  std::map<std::string, Queue, std::less<>> queues_;
};

ControllerMetrics::ControllerMetrics(boost::asio::io_context& io, Store& store,
                                     const ServiceTableSource& table, metrics::Registry& registry)
    : io_(io), store_(store), table_(table), state_(std::make_shared<State>(registry, table)) {}

ControllerMetrics::~ControllerMetrics() {
  for (auto id : watches_) store_.unwatch(id);
  auto& slot = boost::asio::use_service<WorkQueueObserverSlot>(io_);
  if (slot.get() == state_) slot.set(nullptr);
}

void ControllerMetrics::start() {
  boost::asio::use_service<WorkQueueObserverSlot>(io_).set(state_);

  for (config::Kind kind : config::kAllKinds) {
    auto& gauge = state_->objects.with({std::string(config::kind_info(kind).name)});
    gauge.set(static_cast<double>(store_.count(kind)));
    watches_.push_back(store_.watch(kind, [this, kind, &gauge](const WatchEvent& e) {
      if (e.type != WatchEvent::Type::kModified) gauge.set(static_cast<double>(store_.count(kind)));
      if (kind == config::Kind::kPod) state_->on_pod(e);
    }));
  }

  // Neither callback can be unregistered, so both hold the state weakly. Subscribers run on
  // the publishing thread, which is this loop (ServiceTableSync); programmed reports come
  // from proxy threads and are posted here.
  std::weak_ptr<State> weak = state_;
  const ServiceTableSource* source = &table_;
  table_.subscribe([weak, source](const ServiceTablePtr& table) {
    if (auto state = weak.lock()) state->on_published(*table, source->programmed_version());
  });
  boost::asio::io_context* io = &io_;
  table_.watch_programmed([weak, source, io] {
    boost::asio::post(*io, [weak, source] {
      if (auto state = weak.lock()) state->on_programmed(source->programmed_version());
    });
  });
}

void ControllerMetrics::observe_sync(std::chrono::steady_clock::duration took) {
  state_->sync_duration.with({}).observe(seconds(took));
}

}  // namespace skiff::controller
