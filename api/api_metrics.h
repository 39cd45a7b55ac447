// The API server's metric families (kube-apiserver's apiserver_request_total and
// apiserver_longrunning_requests, in skiff's names):
//
//   skiff_api_requests_total{verb,code}   counter  requests answered, watches when they start
//   skiff_api_watch_clients{kind}         gauge    watch streams open now
//
// verb is the Kubernetes verb (get, list, watch, create, update, patch, delete) for object
// paths and the lower-case HTTP method elsewhere; unknown methods count as "other", so the
// label sets stay bounded.
#pragma once

#include <string>
#include <string_view>

#include "config/objects.h"
#include "metrics/registry.h"

namespace skiff::api {

class ApiMetrics {
 public:
  explicit ApiMetrics(metrics::Registry& registry);

  void request(std::string_view verb, unsigned code);
  void watch_started(config::Kind kind);
  void watch_ended(config::Kind kind);

 private:
  metrics::CounterFamily& requests_;
  metrics::GaugeFamily& watch_clients_;
};

// The verb label of a request: method "GET" on a collection is "list", with ?watch "watch";
// on an item "get"; POST "create", PUT "update", PATCH "patch", DELETE "delete". For paths
// that are not objects: "get", "head", ... and "other" for methods outside HTTP's own set.
std::string_view request_verb(std::string_view method, bool collection, bool watch);

}  // namespace skiff::api
