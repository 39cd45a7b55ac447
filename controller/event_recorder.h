// Events: what the controllers and the kubelet report about objects ("Scaled up replica set
// web-5d4f to 4", "Back-off restarting failed container"), kept as core/v1 Event objects in the
// store so `get events`, `describe` and watches see them like any other kind.
//
// As client-go's recorder with the API server's event TTL: a repeat (same object, type, reason,
// message and source) bumps count and lastTimestamp of the Event already written instead of
// adding another; Events not seen for `ttl` (1 h, the API server's default) are deleted, and
// beyond `max_events` the least recently seen go first, so a crash-looping pod cannot grow the
// store without bound.
//
// Threading: the controller loop. record() only queues the event and writes it from a posted
// handler, so it may be called anywhere on the loop, inside a store watch callback included.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "controller/store.h"

namespace skiff::controller {

// The object an event is about (the Event's involvedObject).
struct EventTarget {
  std::string kind;
  std::string api_version;
  std::string ns;
  std::string name;
  std::string uid;
  std::string field_path;  // a container: "spec.containers{web}"
};

template <class T>
EventTarget event_target(const T& object, std::string field_path = {}) {
  return EventTarget{T::kKind,
                     T::kApiVersion,
                     object.metadata.namespace_,
                     object.metadata.name,
                     object.metadata.uid,
                     std::move(field_path)};
}

// Who reports: source.component of the Event, as Kubernetes names its components.
inline constexpr const char* kDeploymentControllerComponent = "deployment-controller";
inline constexpr const char* kReplicaSetControllerComponent = "replicaset-controller";
inline constexpr const char* kSchedulerComponent = "default-scheduler";
inline constexpr const char* kKubeletComponent = "kubelet";

// ---- Pure parts ------------------------------------------------------------------------------

inline constexpr size_t kMaxEventMessageBytes = 1024;

// Two events are the same occurrence, repeated, when these agree.
std::string event_key(const config::Event& e);

// A new Event with count 1, first and last seen `now`, named as Kubernetes names them:
// "<object name>.<unix nanoseconds in hex>" (`sequence` is added, so names are unique even
// under a frozen clock). An over-long message is cut at kMaxEventMessageBytes.
config::Event make_event(const EventTarget& target, const std::string& component,
                         const std::string& host, const std::string& type,
                         const std::string& reason, const std::string& message,
                         std::chrono::system_clock::time_point now, uint64_t sequence);

// (namespace, name) of the Events to delete: those last seen more than `ttl` before `now`,
// then the least recently seen until at most `max_events` remain.
std::vector<std::pair<std::string, std::string>> events_to_prune(
    const std::vector<const config::Event*>& events, std::chrono::system_clock::time_point now,
    size_t max_events, std::chrono::seconds ttl);

// ---- The recorder ----------------------------------------------------------------------------

struct EventRecorderOptions {
  size_t max_events = 1000;
  std::chrono::seconds ttl{3600};
  std::chrono::seconds sweep_period{60};  // how often the TTL is enforced
  std::string host = {};                  // source.host (the node name)
};

class EventRecorder {
 public:
  using Now = std::function<std::chrono::system_clock::time_point()>;

  EventRecorder(boost::asio::io_context& io, Store& store, EventRecorderOptions options = {},
                Now now = std::chrono::system_clock::now);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Prunes what an earlier run left (loaded state) and starts the periodic TTL sweep.
  void start();

  // type: "Normal" or "Warning".
  void record(const EventTarget& target, const std::string& component, const std::string& type,
              const std::string& reason, const std::string& message);
  void normal(const EventTarget& target, const std::string& component, const std::string& reason,
              const std::string& message) {
    record(target, component, "Normal", reason, message);
  }
  void warning(const EventTarget& target, const std::string& component, const std::string& reason,
               const std::string& message) {
    record(target, component, "Warning", reason, message);
  }

 private:
  void write(const config::Event& occurrence);
  void prune();
  void reindex();
  void schedule_sweep();

  boost::asio::io_context& io_;
  Store& store_;
  EventRecorderOptions options_;
  Now now_;
  uint64_t sequence_ = 0;
  // event_key -> (namespace, name) of the Event that counts its repeats. A hint: the store is
  // the truth (an Event deleted through the API is simply written anew), rebuilt every sweep.
  std::map<std::string, std::pair<std::string, std::string>> by_key_;
  std::unique_ptr<boost::asio::steady_timer> sweep_timer_;
  // Posted writes and the timer check this: the recorder may be gone before they run.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace skiff::controller
