#include "cli/engine_factory.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "controller/engine/docker_api.h"
#include "controller/engine/docker_client.h"
#include "controller/engine/docker_engine.h"
#include "controller/engine/process_engine.h"

namespace skiff::cli {
namespace engine = controller::engine;

namespace {

constexpr std::chrono::milliseconds kDockerStartTimeout{5000};

// The daemon's identity on a shared dockerd: FNV-1a of its state dir, so two daemons (two
// state dirs) never adopt or remove each other's containers, and a restarted one finds its own.
std::string daemon_id(const std::filesystem::path& state_dir) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : state_dir.string()) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

// The last usable address of a CIDR ("10.96.0.0/12" -> "10.111.255.254"): far from where
// ClusterIP allocation starts.
std::optional<std::string> last_address(const std::string& cidr) {
  const auto slash = cidr.find('/');
  in_addr addr{};
  if (slash == std::string::npos ||
      ::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    return std::nullopt;
  }
  const int prefix = std::atoi(cidr.c_str() + slash + 1);
  if (prefix < 1 || prefix > 30) return std::nullopt;
  const uint32_t host_bits = 0xffffffffu >> prefix;
  in_addr last{htonl((ntohl(addr.s_addr) | host_bits) - 1)};
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &last, buf, sizeof buf);
  return std::string(buf);
}

// The subnets of a docker network (its IPAM config), the clients the pod DNS answers.
config::Result<std::vector<std::string>> network_subnets(const std::string& socket,
                                                         const std::string& network) {
  engine::docker::Call call;
  call.target = engine::docker::versioned("/networks/" + network);
  call.timeout = kDockerStartTimeout;
  auto r = engine::docker::Client::call_sync(socket, std::move(call));
  if (!r) return r.error();
  if (r->status != 200) {
    return config::ApiError::bad_request("docker network " + network + ": " +
                                         engine::docker::error_message(r->status, r->body));
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::vector<std::string> out;
  if (j.is_object() && j.contains("IPAM") && j["IPAM"].is_object() &&
      j["IPAM"].contains("Config") && j["IPAM"]["Config"].is_array()) {
    for (const auto& c : j["IPAM"]["Config"]) {
      if (c.is_object() && c.contains("Subnet") && c["Subnet"].is_string()) {
        out.push_back(c["Subnet"].get<std::string>());
      }
    }
  }
  if (out.empty()) {
    return config::ApiError::bad_request("docker network " + network + " has no IPv4 subnet");
  }
  return out;
}

config::Result<EngineSetup> make_docker(boost::asio::io_context& io, const DaemonOptions& options) {
  auto socket = engine::docker::socket_from_docker_host(std::getenv("DOCKER_HOST"));
  if (!socket) return socket.error();
  auto version = engine::DockerEngine::prepare(*socket, kDockerStartTimeout);
  if (!version) return config::ApiError::bad_request("--engine docker: " + version.error().message);
  engine::DockerEngineOptions o;
  o.socket_path = *socket;
  o.daemon_id = daemon_id(options.state_dir);
  o.cluster_domain = options.cluster_domain;
  auto subnets = network_subnets(*socket, o.network);
  if (!subnets) return subnets.error();

  EngineSetup setup;
  if (options.service_cidr.rfind("127.", 0) == 0) {
    spdlog::warn(
        "--engine docker with the loopback service CIDR {}: containers cannot reach ClusterIPs "
        "or the cluster DNS (leave --service-cidr out for 10.96.0.0/12)",
        options.service_cidr);
  } else {
    auto route = engine::LocalRoute::add(options.service_cidr);
    if (!route) return route.error();
    setup.route = std::move(*route);
    auto dns = last_address(options.service_cidr);
    if (dns) {
      setup.pod_dns_address = *dns + ":53";
      o.dns_servers = {*dns};
    }
    setup.pod_dns_clients = *subnets;
  }
  spdlog::info("docker engine: dockerd {} at unix://{}, pods on network {} ({})", *version, *socket,
               o.network, fmt::join(*subnets, ", "));
  setup.engine = std::make_unique<engine::DockerEngine>(io, std::move(o));
  return setup;
}

}  // namespace

std::string default_service_cidr(const std::string& engine) {
  return engine == "docker" ? "10.96.0.0/12" : "127.96.0.0/12";
}

config::Result<EngineSetup> make_engine(boost::asio::io_context& io, const DaemonOptions& options) {
  if (options.engine == "docker") return make_docker(io, options);
  if (options.engine != "process") {
    return config::ApiError::bad_request(fmt::format(
        "unknown engine {:?} (use --engine process or --engine docker)", options.engine));
  }
  EngineSetup setup;
  setup.engine = std::make_unique<engine::ProcessEngine>(
      io, engine::ProcessEngineOptions{options.state_dir, options.pod_cidr});
  return setup;
}

config::Result<std::unique_ptr<dns::Responder>> start_pod_dns(
    const controller::ServiceTableSource& table, const DaemonOptions& options,
    const EngineSetup& setup) {
  if (setup.pod_dns_address.empty()) return std::unique_ptr<dns::Responder>();
  dns::ResponderOptions o;
  const auto colon = setup.pod_dns_address.rfind(':');
  o.address = setup.pod_dns_address.substr(0, colon);
  o.port = static_cast<uint16_t>(std::atoi(setup.pod_dns_address.c_str() + colon + 1));
  o.zone = options.cluster_domain;
  o.upstreams = options.dns_upstreams;
  o.allowed_cidrs = setup.pod_dns_clients;
  o.allowed_cidrs.push_back("127.0.0.0/8");
  o.allowed_cidrs.push_back(options.service_cidr);  // the host asking from its own ClusterIPs
  auto dns = std::make_unique<dns::Responder>(table, o);
  auto bound = dns->start();
  if (!bound)
    return config::ApiError::bad_request("pod DNS on " + setup.pod_dns_address + ": " +
                                         bound.error().message);
  spdlog::info("cluster DNS for containers on {} (UDP and TCP)", *bound);
  return dns;
}

}  // namespace skiff::cli
