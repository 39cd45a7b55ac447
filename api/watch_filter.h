// Which store events a watch passes on, and how each is written. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/selectors.h"
#include "api/table_json.h"
#include "config/objects.h"
#include "controller/store.h"

namespace skiff::api {

// What a watch streams: the kind, the namespace (empty: all) and the selectors.
struct WatchFilter {
  config::Kind kind = config::Kind::kPod;
  std::string ns;
  config::LabelSelector labels;
  FieldSelector fields;
  // Set: each event's object is a Table of one row, as the API server sends `kubectl get -w`.
  std::optional<TableRequest> table;
};

bool watch_matches(const WatchFilter& filter, const config::Object& object);

// The event type to send for a store event, or nullopt to skip it. As in Kubernetes, an
// update that moves an object into the selection is ADDED and one that moves it out is
// DELETED (sent with the object's new state).
std::optional<std::string_view> watch_event_type(const WatchFilter& filter,
                                                 const controller::WatchEvent& event);

// One line of the stream: {"type":TYPE,"object":{...}} and '\n'; with `table`, the object is
// a Table of its one row (ages as of now).
std::string watch_line(std::string_view type, const config::Object& object,
                       const std::optional<TableRequest>& table = std::nullopt);

}  // namespace skiff::api
