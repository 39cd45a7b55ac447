// Server-side printing: what a GET asks for in its Accept header (a plain object or list, or a
// meta.k8s.io Table as kubectl asks), and the Table JSON itself. Pure.
#pragma once

#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/table.h"
#include "config/objects.h"
#include "config/status.h"

namespace skiff::api {

// TableOptions.includeObject: what each row carries of its object.
enum class IncludeObject { kNone, kMetadata, kObject };

struct TableRequest {
  std::string api_version = "meta.k8s.io/v1";  // or "meta.k8s.io/v1beta1", as asked
  IncludeObject include = IncludeObject::kMetadata;
};

// The answer to an Accept header: nullopt for the plain JSON object or list, or a Table.
using Rendering = std::optional<TableRequest>;

// Reads an Accept header the way the API server negotiates it: media ranges in the order of
// their q-values (ties: as written), the first one skiff can serve wins. Served:
// application/json, */* and application/* (plain JSON), and application/json with
// as=Table;g=meta.k8s.io;v=v1|v1beta1. An empty header is plain JSON. When no range can be
// served the error is 406 NotAcceptable, as the API server answers.
config::Result<Rendering> negotiate_rendering(std::string_view accept);

// The includeObject query value ("None", "Metadata", "Object"; absent: Metadata). Other values
// are 400 BadRequest.
config::Result<IncludeObject> parse_include_object(const std::string* value);

// The Table of `objects` (all of `kind`) at `now`, as the API server's ConvertToTable builds it.
nlohmann::json table_json(config::Kind kind, const std::vector<const config::Object*>& objects,
                          const std::string& resource_version, const TableRequest& request,
                          std::time_t now);
nlohmann::json table_json(config::Kind kind, const std::vector<config::ObjectPtr>& objects,
                          const std::string& resource_version, const TableRequest& request,
                          std::time_t now);

}  // namespace skiff::api
