#include "api/api_metrics.h"

#include "config/kinds.h"

namespace skiff::api {

ApiMetrics::ApiMetrics(metrics::Registry& registry)
    : requests_(registry.counter("skiff_api_requests_total",
                                 "API requests answered, by verb and HTTP status code.",
                                 {"verb", "code"})),
      watch_clients_(
          registry.gauge("skiff_api_watch_clients", "Watch streams open now, by kind.", {"kind"})) {
  for (config::Kind kind : config::kAllKinds) {
    watch_clients_.with({std::string(config::kind_info(kind).name)});  // 0 from the start
  }
}

void ApiMetrics::request(std::string_view verb, unsigned code) {
  requests_.with({std::string(verb), std::to_string(code)}).inc();
}

void ApiMetrics::watch_started(config::Kind kind) {
  watch_clients_.with({std::string(config::kind_info(kind).name)}).inc();
}

void ApiMetrics::watch_ended(config::Kind kind) {
  watch_clients_.with({std::string(config::kind_info(kind).name)}).dec();
}

std::string_view request_verb(std::string_view method, bool collection, bool watch) {
  if (method == "GET") return watch ? "watch" : (collection ? "list" : "get");
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  if (method == "HEAD") return "head";
  if (method == "OPTIONS") return "options";
  return "other";
}

}  // namespace skiff::api
