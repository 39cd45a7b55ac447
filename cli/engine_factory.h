// Picks and prepares the container engine for the daemon (--engine process|docker), with what
// the docker engine needs of the host: dockerd answering, the service CIDR made local so
// containers reach ClusterIPs, and a cluster DNS address containers can reach.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli/daemon.h"
#include "config/status.h"
#include "controller/engine/engine.h"
#include "controller/engine/local_route.h"
#include "controller/service_table.h"
#include "dns/responder.h"

namespace skiff::cli {

struct EngineSetup {
  std::unique_ptr<controller::engine::Engine> engine;
  // docker: the service CIDR's local route, removed when this goes.
  std::unique_ptr<controller::engine::LocalRoute> route;
  // docker: "ip:port" where the pods' resolver points (the service CIDR's last address, port
  // 53), and the container network clients allowed there. Empty for the process engine.
  std::string pod_dns_address;
  std::vector<std::string> pod_dns_clients;
};

// The default service CIDR of an engine (the process engine's is loopback; containers cannot
// reach loopback, so docker's is Kubernetes' 10.96.0.0/12, made local on the host).
std::string default_service_cidr(const std::string& engine);

// Bad engine name, dockerd absent or not answering (bounded wait), no permission for the
// route: an error with a message for the user.
config::Result<EngineSetup> make_engine(boost::asio::io_context& io, const DaemonOptions& options);

// The second cluster DNS responder, for containers (nullptr when the engine needs none).
config::Result<std::unique_ptr<dns::Responder>> start_pod_dns(
    const controller::ServiceTableSource& table, const DaemonOptions& options,
    const EngineSetup& setup);

}  // namespace skiff::cli
