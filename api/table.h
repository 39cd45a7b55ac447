// The columns kubectl shows for each kind, as the API server's printers define them
// (k8s.io/kubernetes pkg/printers/internalversion/printers.go): the column definitions and the
// cells of one object's row. One source for both the server-side Table (api/table_json.h) and
// the text tables of `skiff get` (cli/printers.cpp). Pure: objects and "now" in, cells out.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "config/objects.h"

namespace skiff::api {

// A meta.k8s.io/v1 TableColumnDefinition.
struct TableColumn {
  std::string name;         // "Name", "Ready", "Cluster-IP": kubectl prints it upper-cased
  std::string type;         // "string", "integer", "date" (OpenAPI types)
  std::string format;       // "name" on the object's name column, else ""
  std::string description;  // what the column shows
  int priority = 0;         // 0: always shown, 1: only with -o wide
  // false: the API server has the column but `skiff get -o wide` does not print it (pods'
  // NOMINATED NODE and READINESS GATES, which skiff never sets).
  bool in_skiff_get = true;
};

// One cell: a string, or an integer the API server sends as a JSON number.
struct TableCell {
  std::string text;
  std::optional<int64_t> integer;

  static TableCell of(std::string s) { return {std::move(s), std::nullopt}; }
  static TableCell of(int64_t n) { return {std::to_string(n), n}; }
  bool operator==(const TableCell&) const = default;
};

using TableRow = std::vector<TableCell>;

// How a row is made where `skiff get` and the API server differ.
struct RowOptions {
  // Every endpoint in ENDPOINTS (skiff get -o wide), not the first three and "+ N more...".
  bool all_endpoints = false;
};

// Every column the API server defines for `kind`, wide-only ones with priority 1.
const std::vector<TableColumn>& table_columns(config::Kind kind);
// The cells of one object's row, one per column of its kind (table_columns).
TableRow table_row(const config::Object& object, std::time_t now, const RowOptions& options = {});

// kubectl's human duration: 45s, 3m20s, 2h5m, 3d4h, ...
std::string human_duration(std::time_t seconds);
// The age of an RFC 3339 timestamp at `now` ("<unknown>" when it does not parse).
std::string age(const std::string& rfc3339, std::time_t now);
std::time_t parse_rfc3339(const std::string& text);  // -1 when it does not parse

// kubectl's pod STATUS column: waiting/terminated reasons, Terminating, else the phase.
std::string pod_status_reason(const config::Pod& pod);
// A node's ROLES (node-role.kubernetes.io/<role> labels, "<none>") and STATUS
// ("Ready", "NotReady,SchedulingDisabled", ...).
std::string node_roles(const config::Node& node);
std::string node_status(const config::Node& node);
// "5m", or "5m (x3 over 12m)" for a repeated event: LAST SEEN (last = true) or the age of the
// first sighting.
std::string event_interval(const config::Event& event, std::time_t now, bool last);
// "pod/web-1": an event's OBJECT column.
std::string event_object(const config::Event& event);

}  // namespace skiff::api
