// kubectl-style rendering of objects: the tables of `get` and the text of `describe`.
// Pure: takes objects and "now", returns text.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::cli {

enum class TableFormat { kDefault, kWide };

// kubectl's human duration: 45s, 3m20s, 2h5m, 3d4h, ...
std::string human_duration(std::time_t seconds);
// Seconds since an RFC 3339 timestamp ("<unknown>" when it does not parse).
std::string age(const std::string& rfc3339, std::time_t now);
std::time_t parse_rfc3339(const std::string& text);  // -1 when it does not parse

// kubectl's pod STATUS column: waiting/terminated reasons, Terminating, else the phase.
std::string pod_status_reason(const config::Pod& pod);

// A table with a header row, columns padded with three spaces as kubectl does.
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
