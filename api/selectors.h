// The labelSelector and fieldSelector query parameters of list and watch requests, parsed the
// way the Kubernetes API server reads them. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/objects.h"
#include "config/status.h"

namespace skiff::api {

// "app=web,tier!=db,env in (a,b),release notin (x),canary,!legacy" into a set-based selector:
// "k=v"/"k==v" go to matchLabels (a repeated key becomes an In requirement), "k!=v" is
// NotIn [v] (matching objects without the key, as in Kubernetes), "k" is Exists and "!k" is
// DoesNotExist. Empty text selects everything. Errors are BadRequest naming the requirement.
config::Result<config::LabelSelector> parse_label_selector(std::string_view text);

// fieldSelector: only metadata.name and metadata.namespace, with =, == and != (what kubectl
// sends for `get NAME -w`). Other fields are a BadRequest, as the API server answers for
// fields a resource does not support.
struct FieldRequirement {
  std::string field;  // "metadata.name" or "metadata.namespace"
  bool equals = true;
  std::string value;
  bool operator==(const FieldRequirement&) const = default;
};
using FieldSelector = std::vector<FieldRequirement>;

config::Result<FieldSelector> parse_field_selector(std::string_view text);
bool field_selector_matches(const FieldSelector& selector, const config::ObjectMeta& meta);

}  // namespace skiff::api
