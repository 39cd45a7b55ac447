#include "controller/service_controller.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace skiff::controller {
namespace {

Ipv4RangeAllocator range_or_throw(const std::string& cidr) {
  auto r = Ipv4RangeAllocator::from_cidr(cidr);
  if (!r) throw std::invalid_argument("service CIDR \"" + cidr + "\" is not an IPv4 a.b.c.d/len");
  return *r;
}

}  // namespace

ServiceController::ServiceController(boost::asio::io_context& io, Store& store,
                                     ServiceControllerOptions options)
    : store_(store),
      options_(std::move(options)),
      allocators_{range_or_throw(options_.service_cidr),
                  PortRangeAllocator(options_.node_port_min, options_.node_port_max)},
      queue_(io, "service", [this](const ObjectKey& k) { reconcile(k); }) {}

ServiceController::~ServiceController() {
  for (auto id : watches_) store_.unwatch(id);
}

void ServiceController::start() {
  auto existing = store_.list(Kind::kService);
  for (const auto& s : existing) {
    const auto* svc = as<config::Service>(s);
    held_[{svc->metadata.namespace_, svc->metadata.name}] =
        claim_service_addresses(svc->spec, allocators_);
  }
  watches_.push_back(store_.watch(Kind::kService, [this](const WatchEvent& e) {
    const auto& m = config::meta(*e.object);
    queue_.add({m.namespace_, m.name});
  }));
  for (const auto& s : existing) {
    const auto& m = config::meta(*s);
    queue_.add({m.namespace_, m.name});
  }
}

void ServiceController::reconcile(const ObjectKey& key) {
  auto ptr = store_.get(Kind::kService, key.first, key.second);
  const auto* svc = as<config::Service>(ptr);
  if (!svc) {
    if (auto it = held_.find(key); it != held_.end()) {
      release_service_addresses(it->second, allocators_);
      held_.erase(it);
    }
    return;
  }

  auto assignment = assign_service_addresses(svc->spec, held_[key], allocators_);
  held_[key] = assignment.held;
  for (const auto& w : assignment.warnings) {
    spdlog::warn("service {}/{}: {}", key.first, key.second, w);
  }
  if (!(assignment.spec == svc->spec)) {
    config::Service next = *svc;
    next.spec = std::move(assignment.spec);
    next.metadata.resource_version = 0;
    auto r = store_.update(config::Object(std::move(next)));
    if (!r) {
      spdlog::warn("service {}/{}: update failed: {}", key.first, key.second, r.error().message);
      return;
    }
    ptr = *r;
    svc = as<config::Service>(ptr);
  }

  config::ServiceStatus status;
  if (svc->spec.type == "LoadBalancer") {
    status.load_balancer_ingress = {config::LoadBalancerIngress{options_.node_address, ""}};
  }
  if (!(status == svc->status)) {
    config::Service next = *svc;
    next.status = std::move(status);
    if (auto r = store_.update_status(config::Object(std::move(next))); !r) {
      spdlog::warn("service {}/{}: status update failed: {}", key.first, key.second,
                   r.error().message);
    }
  }
}

}  // namespace skiff::controller
