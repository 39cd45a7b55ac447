// Request bodies as JSON. The parser itself is iterative, but much of what follows it recurses
// once per nesting level (merge and strategic patches, comparisons, dump), so a body nesting
// deeper than any Kubernetes object needs is refused before anything else sees it: one request
// of "[[[[…" must not overflow the API loop's stack. The API server refuses such bodies too
// (sigs.k8s.io/json: "exceeded max depth"), at 10 000 levels; skiff's recursions are heavier
// per level than Go's, and no object comes near 100.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/status.h"

namespace skiff::api {

inline constexpr size_t kMaxBodyNesting = 1000;

// The deepest nesting of arrays and objects in `text` (strings and their escapes skipped),
// counted only up to `stop_after` + 1: a larger result means "deeper than stop_after". Pure; the
// text need not be valid JSON.
size_t json_nesting(std::string_view text, size_t stop_after = kMaxBodyNesting);

// `body` parsed, or a 400 "malformed <what>: …" for bad JSON or too deep a nesting.
config::Result<nlohmann::json> parse_json_body(const std::string& body, std::string_view what);

}  // namespace skiff::api
