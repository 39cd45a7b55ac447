// The REST layer: one Request in, one Reply out, against the store. Runs on the controller
// loop (the store is not thread-safe). Never throws: anything unexpected becomes a 500 Status.
#pragma once

#include <vector>

#include "api/readiness.h"
#include "api/reply.h"
#include "api/server.h"
#include "controller/engine/engine.h"
#include "controller/store.h"

namespace skiff::api {

struct ApiContext {
  controller::Store& store;
  controller::engine::Engine* engine;  // null: logs answer 503
  const std::vector<ReadinessCheck>& checks;
  const MetricsSource& metrics;  // empty: /metrics answers 404
};

Reply dispatch(const Request& request, const ApiContext& context);

}  // namespace skiff::api
