// The event recorder against a real Store on an io_context: repeats are counted on one Event,
// the number and age of Events are bounded, and recording from inside a store watch callback
// is safe.
#include "controller/event_recorder.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "config/objects_json.h"
#include "config/validation.h"
#include "controller/rfc3339.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using namespace std::chrono_literals;

namespace {

std::chrono::system_clock::time_point at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

struct Fixture {
  boost::asio::io_context io;
  std::chrono::system_clock::time_point clock = at("2026-11-25T21:00:00Z");
  Store store{[this] { return to_rfc3339(clock); }};
  EventRecorder recorder;

  explicit Fixture(EventRecorderOptions o = {})
      : recorder(io, store, with_host(o), [this] { return clock; }) {}

  static EventRecorderOptions with_host(EventRecorderOptions o) {
    o.host = "skiff";
    o.sweep_period = 0s;  // the tests sweep by calling start()
    return o;
  }

  void settle() {
    io.restart();
    for (int n = 0; n < 10000 && io.poll_one(); ++n) {
    }
  }

  std::vector<config::Event> events() {
    std::vector<config::Event> out;
    for (const auto& o : store.list(Kind::kEvent)) out.push_back(*as<config::Event>(o));
    return out;
  }
};

EventTarget pod_target(const std::string& name) {
  auto pod = testing::make_pod(name, {{"app", "web"}});
  return event_target(pod);
}

}  // namespace

TEST_CASE("an event names its object, source and time as core/v1 does") {
  auto e = make_event(pod_target("web-1"), "kubelet", "skiff", "Normal", "Started",
                      "Started container app", at("2026-11-25T21:00:00Z"), 0);
  CHECK(e.metadata.name.rfind("web-1.", 0) == 0);
  CHECK(e.metadata.namespace_ == "default");
  CHECK(e.involved_object.kind == "Pod");
  CHECK(e.involved_object.api_version == "v1");
  CHECK(e.involved_object.name == "web-1");
  CHECK(e.involved_object.uid == "uid-web-1");
  CHECK(e.source.component == "kubelet");
  CHECK(e.source.host == "skiff");
  CHECK(e.first_timestamp == "2026-11-25T21:00:00Z");
  CHECK(e.last_timestamp == "2026-11-25T21:00:00Z");
  CHECK(e.count == 1);
  // Unique even under a frozen clock.
  auto f = make_event(pod_target("web-1"), "kubelet", "skiff", "Normal", "Started",
                      "Started container app", at("2026-11-25T21:00:00Z"), 1);
  CHECK(e.metadata.name != f.metadata.name);
  CHECK(event_key(e) == event_key(f));
  f.message = "Started container other";
  CHECK(event_key(e) != event_key(f));
  // A huge message is cut.
  auto big = make_event(pod_target("web-1"), "kubelet", "", "Warning", "Failed",
                        std::string(5000, 'x'), at("2026-11-25T21:00:00Z"), 2);
  CHECK(big.message.size() == kMaxEventMessageBytes);
}

TEST_CASE("events older than the TTL go, then the least recently seen beyond the bound") {
  std::vector<config::Event> events;
  for (int i = 0; i < 5; ++i) {
    config::Event e;
    e.metadata.name = "e" + std::to_string(i);
    e.last_timestamp = to_rfc3339(at("2026-11-25T21:00:00Z") + std::chrono::minutes(20 * i));
    events.push_back(e);
  }
  std::vector<const config::Event*> ptrs;
  for (const auto& e : events) ptrs.push_back(&e);
  // now = 22:30: e0 (21:00) and e1 (21:20) are older than an hour.
  auto gone = events_to_prune(ptrs, at("2026-11-25T22:30:00Z"), 100, 3600s);
  REQUIRE(gone.size() == 2);
  CHECK(gone[0].second == "e0");
  CHECK(gone[1].second == "e1");
  gone = events_to_prune(ptrs, at("2026-11-25T22:30:00Z"), 2, 3600s);
  REQUIRE(gone.size() == 3);
  CHECK(gone[2].second == "e2");  // of the three left, the oldest
  CHECK(events_to_prune(ptrs, at("2026-11-25T21:00:00Z"), 5, 3600s).empty());
}

TEST_CASE("a repeated event is one Event with a count and first and last seen") {
  Fixture f;
  auto target = pod_target("web-1");
  f.recorder.warning(target, "kubelet", "BackOff", "Back-off restarting failed container");
  f.settle();
  f.clock += 30s;
  f.recorder.warning(target, "kubelet", "BackOff", "Back-off restarting failed container");
  f.clock += 30s;
  f.recorder.warning(target, "kubelet", "BackOff", "Back-off restarting failed container");
  f.recorder.normal(target, "kubelet", "Pulled", "Container image \"x\" already present");
  f.settle();
  auto events = f.events();
  REQUIRE(events.size() == 2);
  const auto& backoff = events[0].reason == "BackOff" ? events[0] : events[1];
  CHECK(backoff.count == 3);
  CHECK(backoff.type == "Warning");
  CHECK(backoff.first_timestamp == "2026-11-25T21:00:00Z");
  CHECK(backoff.last_timestamp == "2026-11-25T21:01:00Z");

  // Deleted through the API: the next repeat writes it anew.
  REQUIRE(f.store.remove(Kind::kEvent, "default", backoff.metadata.name).ok());
  f.recorder.warning(target, "kubelet", "BackOff", "Back-off restarting failed container");
  f.settle();
  events = f.events();
  REQUIRE(events.size() == 2);
  for (const auto& e : events) CHECK(e.count == 1);
}

TEST_CASE("the number of events is bounded, the oldest dropped first") {
  Fixture f(EventRecorderOptions{.max_events = 3});
  for (int i = 0; i < 6; ++i) {
    f.clock += 1s;
    f.recorder.normal(pod_target("web-" + std::to_string(i)), "kubelet", "Started",
                      "Started container app");
    f.settle();
  }
  auto events = f.events();
  REQUIRE(events.size() == 3);
  std::set<std::string> names;
  for (const auto& e : events) names.insert(e.involved_object.name);
  CHECK(names == std::set<std::string>{"web-3", "web-4", "web-5"});
}

TEST_CASE("events past the TTL are removed at start and by the sweep") {
  Fixture f;
  f.recorder.normal(pod_target("web-1"), "kubelet", "Started", "Started container app");
  f.settle();
  REQUIRE(f.events().size() == 1);
  f.clock += 3601s;
  f.recorder.start();  // what the periodic sweep does
  f.settle();
  CHECK(f.events().empty());
}

TEST_CASE("recording from inside a store watch callback is safe and lands after it") {
  Fixture f;
  bool recorded = false;
  auto id = f.store.watch(Kind::kPod, [&](const WatchEvent& e) {
    f.recorder.normal(event_target(*as<config::Pod>(e.object)), "kubelet", "Scheduled",
                      "Successfully assigned default/web-1 to skiff");
    recorded = true;
  });
  REQUIRE(f.store.create(config::Object(testing::make_pod("web-1", {}))).ok());
  CHECK(recorded);
  CHECK(f.events().empty());  // not inside the callback
  f.settle();
  auto events = f.events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].reason == "Scheduled");
  CHECK(events[0].involved_object.kind == "Pod");
  f.store.unwatch(id);
}

TEST_CASE("an Event goes through JSON as core/v1 names its fields") {
  auto e = make_event(pod_target("web-1"), "kubelet", "skiff", "Warning", "BackOff",
                      "Back-off restarting failed container app", at("2026-11-25T21:00:00Z"), 0);
  e.involved_object.field_path = "spec.containers{app}";
  e.count = 4;
  auto j = config::to_json(config::Object(e));
  CHECK(j["kind"] == "Event");
  CHECK(j["apiVersion"] == "v1");
  CHECK(j["involvedObject"]["fieldPath"] == "spec.containers{app}");
  CHECK(j["involvedObject"]["apiVersion"] == "v1");
  CHECK(j["source"]["component"] == "kubelet");
  CHECK(j["firstTimestamp"] == "2026-11-25T21:00:00Z");
  CHECK(j["count"] == 4);
  auto back = config::object_from_json(j);
  REQUIRE(back);
  CHECK(std::get<config::Event>(*back) == e);
  // As a manifest it is checked: an unknown type is refused.
  e.type = "Loud";
  auto errors = config::validate_object(config::Object(e));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].field == "type");
}
