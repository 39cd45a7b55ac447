// Label selectors, as Kubernetes matches them.
#pragma once

#include <string>

#include "config/objects.h"

namespace skiff::config {

// A set-based selector: every matchLabels pair and every matchExpressions requirement holds.
// An empty selector matches everything (callers that must not match all check empty()).
bool selector_matches(const LabelSelector& selector, const StringMap& labels);
// An equality-based selector, as a Service's spec.selector. Empty matches nothing, as for a
// selector-less Service.
bool selector_matches(const StringMap& selector, const StringMap& labels);
// "app=flask,tier=web" (kubectl's rendering).
std::string selector_to_string(const LabelSelector& selector);
std::string labels_to_string(const StringMap& labels);

}  // namespace skiff::config
