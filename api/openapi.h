// OpenAPI v3 documents for the kinds skiff serves, generated from the kind table: the index at
// /openapi/v3 and one document per group version (/openapi/v3/api/v1, /openapi/v3/apis/apps/v1)
// declaring each path, its operations (with x-kubernetes-group-version-kind and
// x-kubernetes-action) and the query parameters skiff honours. kubectl reads these to learn that
// the server does field validation itself (the `fieldValidation` parameter on PATCH), and then
// sends ?fieldValidation=Strict instead of validating client-side. Schemas are minimal. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace skiff::api {

// "api/v1" for "v1", "apis/apps/v1" for "apps/v1": the index key and the path under /openapi/v3.
std::string openapi_path_for(std::string_view group_version);
// The group version served at /openapi/v3/<path> ("api/v1" -> "v1"); nullopt: none.
std::optional<std::string> openapi_group_version(std::string_view path);

// The OpenAPI 3.0 document for "v1" or "apps/v1" (nullopt for any other).
std::optional<nlohmann::json> openapi_document(std::string_view group_version);
// {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}; the hash
// changes when the document does, so clients may cache a document by its URL.
nlohmann::json openapi_index();

}  // namespace skiff::api
