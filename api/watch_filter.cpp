#include "api/watch_filter.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "config/labels.h"
#include "config/objects_json.h"

namespace skiff::api {

bool watch_matches(const WatchFilter& filter, const config::Object& object) {
  if (config::kind_of(object) != filter.kind) return false;
  const auto& m = config::meta(object);
  if (!filter.ns.empty() && m.namespace_ != filter.ns) return false;
  return config::selector_matches(filter.labels, m.labels) &&
         field_selector_matches(filter.fields, m);
}

std::optional<std::string_view> watch_event_type(const WatchFilter& filter,
                                                 const controller::WatchEvent& event) {
  if (!event.object) return std::nullopt;
  const bool now = watch_matches(filter, *event.object);
  switch (event.type) {
    case controller::WatchEvent::Type::kAdded:
      return now ? std::optional<std::string_view>("ADDED") : std::nullopt;
    case controller::WatchEvent::Type::kDeleted:
      return now ? std::optional<std::string_view>("DELETED") : std::nullopt;
    case controller::WatchEvent::Type::kModified: {
      const bool before = event.previous ? watch_matches(filter, *event.previous) : now;
      if (before && now) return "MODIFIED";
      if (now) return "ADDED";
      if (before) return "DELETED";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string watch_line(std::string_view type, const config::Object& object,
                       const std::optional<TableRequest>& table) {
  nlohmann::json line = {{"type", type}};
  if (table) {
    const std::string rv = std::to_string(config::meta(object).resource_version);
    line["object"] =
        table_json(config::kind_of(object), std::vector<const config::Object*>{&object}, rv, *table,
                   std::time(nullptr));
  } else {
    line["object"] = config::to_json(object);
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace skiff::api
