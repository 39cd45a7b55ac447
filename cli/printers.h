// kubectl-style rendering of objects: the tables of `get` and the text of `describe`.
// Pure: takes objects and "now", returns text.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "api/table.h"
#include "config/objects.h"

namespace skiff::cli {

enum class TableFormat { kDefault, kWide };

// The columns and cells come from api/table.h, which the API server's Tables use too.
using api::age;
using api::human_duration;
using api::parse_rfc3339;
using api::pod_status_reason;

// A table with a header row (the column names upper-cased), columns padded with three spaces
// as kubectl does; wide adds the priority-1 columns.
std::string print_table(config::Kind kind, const std::vector<config::Object>& objects,
                        TableFormat format, std::time_t now, bool with_header = true);

std::string describe(const config::Object& object, std::time_t now);

// Rows padded into columns as the tables above (three spaces between columns).
std::string render_rows(const std::vector<std::vector<std::string>>& rows);

// "Pod Template:" with its labels and containers, as describe and `rollout history --revision`
// print it.
std::string describe_pod_template(const config::PodTemplateSpec& tpl);

// describe's closing "Events:" section for the events about one object (any order given;
// printed oldest first), or "Events: <none>".
std::string describe_events(std::vector<config::Event> events, std::time_t now);

}  // namespace skiff::cli
