// The Prometheus text exposition format, version 0.0.4: what GET /metrics answers.
// https://prometheus.io/docs/instrumenting/exposition_formats/
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.h"
#include "metrics/snapshot.h"

namespace skiff::metrics {

// The Content-Type header value of a /metrics response.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Renders families sorted by name, each as `# HELP`, `# TYPE` and its samples, children sorted
// by label values. A family with no children is left out (nothing to say about it yet).
// Histograms write cumulative `_bucket{le}` series ending in le="+Inf", then `_sum` and
// `_count`. Pure: the same snapshots give the same bytes.
std::string render(const std::vector<FamilySnapshot>& families);
// render(registry.collect(CollectMode::kForExposition)).
std::string render(const Registry& registry);

// Sample values as Prometheus parses them: "+Inf", "-Inf", "NaN"; integral values up to 2^53
// in plain digits ("1234567", never "1.234567e+06"); anything else in the shortest form that
// reads back to the same double.
void append_value(std::string& out, double value);
// HELP text: backslash and newline escaped.
void append_escaped_help(std::string& out, std::string_view help);
// Label values: backslash, double quote and newline escaped.
void append_escaped_label_value(std::string& out, std::string_view value);

}  // namespace skiff::metrics
