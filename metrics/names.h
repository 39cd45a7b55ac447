// The Prometheus data model's naming rules, checked once at registration so the exposition
// never has to escape or reject a name.
#pragma once

#include <string_view>

namespace skiff::metrics {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus itself).
bool valid_label_name(std::string_view name);

}  // namespace skiff::metrics
