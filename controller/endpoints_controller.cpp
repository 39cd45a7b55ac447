#include "controller/endpoints_controller.h"

#include <spdlog/spdlog.h>

#include "config/labels.h"
#include "controller/endpoints_builder.h"

namespace skiff::controller {
namespace {

constexpr std::chrono::milliseconds kRetryDelay{1000};

}  // namespace

EndpointsController::EndpointsController(boost::asio::io_context& io, Store& store)
    : store_(store), queue_(io, "endpoints", [this](const ObjectKey& k) { reconcile(k); }) {}

EndpointsController::~EndpointsController() {
  for (auto id : watches_) store_.unwatch(id);
}

void EndpointsController::start() {
  watches_.push_back(store_.watch(Kind::kService, [this](const WatchEvent& e) {
    const auto& m = config::meta(*e.object);
    queue_.add({m.namespace_, m.name});
  }));
  watches_.push_back(store_.watch(Kind::kPod, [this](const WatchEvent& e) {
    // Both states: a pod whose labels changed leaves the old Services and joins new ones.
    if (const auto* pod = as<config::Pod>(e.object)) queue_services_selecting(*pod);
    if (const auto* pod = as<config::Pod>(e.previous)) queue_services_selecting(*pod);
  }));
  for (const auto& s : store_.list(Kind::kService)) {
    const auto& m = config::meta(*s);
    queue_.add({m.namespace_, m.name});
  }
}

void EndpointsController::queue_services_selecting(const config::Pod& pod) {
  for (const auto& s : store_.list(Kind::kService, pod.metadata.namespace_)) {
    const auto* svc = as<config::Service>(s);
    if (config::selector_matches(svc->spec.selector, pod.metadata.labels)) {
      queue_.add({svc->metadata.namespace_, svc->metadata.name});
    }
  }
}

void EndpointsController::reconcile(const ObjectKey& key) {
  auto sptr = store_.get(Kind::kService, key.first, key.second);
  const auto* svc = as<config::Service>(sptr);
  auto existing_ptr = store_.get(Kind::kEndpoints, key.first, key.second);
  const auto* existing = as<config::Endpoints>(existing_ptr);

  if (!svc) {
    if (existing) {
      auto r = store_.remove(Kind::kEndpoints, key.first, key.second);
      if (!r && r.error().code != 404) {
        spdlog::warn("endpoints {}/{}: delete failed: {}", key.first, key.second,
                     r.error().message);
      }
    }
    return;
  }
  if (svc->spec.selector.empty() || svc->spec.type == "ExternalName") return;

  auto pod_ptrs = store_.list(Kind::kPod, key.first);
  std::vector<const config::Pod*> pods;
  pods.reserve(pod_ptrs.size());
  for (const auto& p : pod_ptrs) pods.push_back(as<config::Pod>(p));
  auto desired = build_endpoints(*svc, pods);

  Result<ObjectPtr> r = existing_ptr;
  if (!existing) {
    r = store_.create(config::Object(std::move(desired)));
  } else if (existing->subsets != desired.subsets ||
             existing->metadata.labels != desired.metadata.labels) {
    config::Endpoints next = *existing;
    next.subsets = std::move(desired.subsets);
    next.metadata.labels = std::move(desired.metadata.labels);
    next.metadata.resource_version = 0;
    r = store_.update(config::Object(std::move(next)));
  }
  if (!r) {
    spdlog::warn("endpoints {}/{}: write failed: {}", key.first, key.second, r.error().message);
    queue_.add_after(key, kRetryDelay);
  }
}

}  // namespace skiff::controller
