#include "cli/daemon.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <set>
#include <thread>

#include "api/server.h"
#include "cli/engine_factory.h"
#include "config/labels.h"
#include "controller/control_plane.h"
#include "controller/engine/process_engine.h"
#include "controller/node_status.h"
#include "controller/service_table.h"
#include "controller/store.h"
#include "controller/store_persistence.h"
#include "dns/responder.h"
#include "metrics/exposition.h"
#include "metrics/process_metrics.h"
#include "metrics/registry.h"
#include "proxy/proxy.h"

namespace skiff::cli {
namespace {

namespace asio = boost::asio;

// Holds an exclusive flock on STATE_DIR/daemon.lock for the daemon's life, so a second daemon
// on the same state fails with a clear message instead of fighting over pods.
class StateLock {
 public:
  static config::Result<int> acquire(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return config::ApiError::bad_request(
          fmt::format("state dir {}: {}", dir.string(), ec.message()));
    const auto path = dir / "daemon.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return config::ApiError::bad_request(
          fmt::format("{}: {}", path.string(), std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return config::ApiError::conflict(fmt::format(
          "another skiff daemon (pid {}) is running with state dir {}", pid, dir.string()));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
    return fd;
  }
};

std::vector<std::string> service_addresses(const controller::ServiceView& svc,
                                           const std::string& node_address) {
  std::vector<std::string> out;
  for (const auto& p : svc.ports) {
    const std::string scheme = p.protocol == "UDP" ? "udp" : "http";
    if (svc.type == "LoadBalancer")
      out.push_back(fmt::format("{}://{}:{}", scheme, node_address, p.port));
    if (p.node_port) out.push_back(fmt::format("{}://{}:{}", scheme, node_address, p.node_port));
    if (!svc.headless && !svc.cluster_ip.empty())
      out.push_back(fmt::format("{}://{}:{}", scheme, svc.cluster_ip, p.port));
  }
  return out;
}

// Tells the user where each applied Service answers, once: when every pod its selector picks
// is a ready endpoint (so the first curl works and reaches every replica).
class ReadyAnnouncer {
 public:
  ReadyAnnouncer(const controller::Store& store, std::string node_address)
      : store_(store), node_address_(std::move(node_address)) {}

  void expect(const config::Service& svc) {
    pending_.insert({svc.metadata.namespace_, svc.metadata.name});
  }

  void on_table(const controller::ServiceTable& table) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      const auto* svc = table.find(it->first, it->second);
      if (svc && ready(*svc)) {
        size_t endpoints = svc->ready_addresses.size();
        for (const auto& addr : service_addresses(*svc, node_address_)) {
          fmt::print("service/{} is ready at {} ({} endpoint{})\n", svc->name, addr, endpoints,
                     endpoints == 1 ? "" : "s");
        }
        std::fflush(stdout);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  bool ready(const controller::ServiceView& view) const {
    const auto* svc =
        controller::as<config::Service>(store_.get(config::Kind::kService, view.ns, view.name));
    if (!svc || view.ports.empty()) return false;
    if (svc->spec.selector.empty()) return !view.ready_addresses.empty();
    size_t wanted = 0;
    for (const auto& p : store_.list(config::Kind::kPod, view.ns)) {
      const auto* pod = controller::as<config::Pod>(p);
      if (pod && !pod->metadata.deletion_timestamp &&
          config::selector_matches(svc->spec.selector, pod->metadata.labels)) {
        ++wanted;
      }
    }
    if (wanted == 0 || view.ready_addresses.size() < wanted) return false;
    for (const auto& port : view.ports) {
      if (port.endpoints.empty()) return false;
    }
    return true;
  }

  const controller::Store& store_;
  std::string node_address_;
  std::set<std::pair<std::string, std::string>> pending_;
};

config::Result<dns::ResponderOptions> dns_options_from(const DaemonOptions& options) {
  dns::ResponderOptions o;
  const auto colon = options.dns_address.rfind(':');
  if (colon == std::string::npos) return config::ApiError::bad_request("expected HOST:PORT");
  o.address = options.dns_address.substr(0, colon);
  try {
    const int port = std::stoi(options.dns_address.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    o.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    return config::ApiError::bad_request("bad port in " + options.dns_address);
  }
  o.zone = options.cluster_domain;
  o.upstreams = options.dns_upstreams;
  o.ttl = options.dns_ttl;
  o.pod_records = options.dns_pod_records;
  o.workers = options.dns_workers > 0
                  ? options.dns_workers
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Pods of the process engine are loopback addresses; both are ours to answer.
  o.allowed_cidrs = {"127.0.0.0/8", options.pod_cidr};
  return o;
}

}  // namespace

std::filesystem::path default_state_dir() {
  if (::geteuid() == 0) return "/var/lib/skiff";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "skiff";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/tmp") / ".local/state/skiff";
}

int run_daemon(const DaemonOptions& options, std::vector<config::Object> apply) {
  // A closed stdout (`skiff up | head`) or a peer gone mid-write must be an error code, not a
  // signal that kills the daemon and strands its pods.
  ::signal(SIGPIPE, SIG_IGN);
  auto lock = StateLock::acquire(options.state_dir);
  if (!lock) {
    spdlog::error("{}", lock.error().message);
    return 1;
  }

  // Every subsystem registers its families here; GET /metrics renders them all.
  metrics::Registry registry;
  metrics::register_process_metrics(registry, kVersion);

  asio::io_context io;  // the controller loop: store, reconcilers, kubelet, API
  controller::Store store;
  // Every object of the last run is back before anything watches the store; damaged files
  // are moved aside and named in the log, the rest loads (controller/store_persistence.h).
  controller::StatePersistence persistence(options.state_dir);
  {
    auto loaded = persistence.load();
    for (const auto& why : loaded.refused) spdlog::error("state: object not loaded: {}", why);
    const size_t restored = loaded.objects.size();
    store.restore(std::move(loaded.objects), loaded.resource_version);
    store.set_persistence(&persistence);
    if (restored > 0 || store.resource_version() > 0) {
      spdlog::info("state: {} objects restored from {} (resourceVersion {})", restored,
                   persistence.root().string(), store.resource_version());
    }
  }
  controller::ServiceTableSource table;
  // --engine: the process engine, or dockerd (checked now: absent or silent is an error here).
  auto engine_setup = make_engine(io, options);
  if (!engine_setup) {
    spdlog::error("{}", engine_setup.error().message);
    return 1;
  }
  controller::engine::Engine& engine = *engine_setup->engine;

  controller::ControlPlaneOptions cp_options;
  cp_options.service_cidr = options.service_cidr;
  cp_options.node_address = options.node_address;
  cp_options.kubelet.node_ip = options.node_address;
  cp_options.kubelet.backoff_base = options.restart_backoff_base;
  cp_options.kubelet.state_dir = options.state_dir;  // pod volumes live there
  cp_options.metrics = &registry;
  {
    controller::NodeConfig node_config;
    node_config.name = cp_options.kubelet.node_name;
    node_config.address = options.node_address;
    node_config.cpu = options.node_cpu;
    node_config.memory = options.node_memory;
    node_config.system_reserved = options.system_reserved;
    node_config.max_pods = options.max_pods;
    node_config.runtime_version = std::string(engine.name()) + "://" + kVersion;
    node_config.kubelet_version = std::string("v") + kVersion + "-skiff";
    auto node = controller::build_node(node_config, controller::machine_facts(options.state_dir));
    if (!node) {
      spdlog::error("{}", node.error().message);
      return 1;
    }
    cp_options.node = std::move(*node);
  }
  controller::ControlPlane control_plane(io, store, engine, table, cp_options);

  proxy::ProxyOptions proxy_options;
  proxy_options.workers = options.proxy_workers > 0
                              ? options.proxy_workers
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  proxy_options.node_address = options.node_address;
  proxy_options.metrics = &registry;
  proxy::Proxy proxy(table, proxy_options);

  api::ServerOptions api_options;
  api_options.address = options.api_address;
  api_options.port = options.api_port;
  api_options.metrics = &registry;
  api::Server server(io, store, &engine, api_options);
  server.add_readiness_check({"proxy-listeners", [&proxy] {
                                auto errors = proxy.errors();
                                return errors.empty() ? std::string() : errors.front();
                              }});
  // /readyz: the persisted state and the manifests are in the store, the controllers have
  // published a first ServiceTable for the proxy and DNS, and the engine can run containers.
  bool store_loaded = false;
  server.add_readiness_check({"store-loaded", [&store_loaded] {
                                return store_loaded ? std::string() : "the store is loading";
                              }});
  server.add_readiness_check({"service-table", [&table] {
                                return table.current()->version > 0
                                           ? std::string()
                                           : "no ServiceTable published yet";
                              }});
  server.add_readiness_check({"engine", [&engine] { return engine.health(); }});
  server.set_metrics_source([&registry] { return metrics::render(registry); });
  auto bound = server.start();
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  spdlog::info("skiff API listening on http://{} (engine {}, state {})", *bound, engine.name(),
               options.state_dir.string());

  std::unique_ptr<dns::Responder> dns;
  if (!options.dns_address.empty()) {
    auto dns_options = dns_options_from(options);
    if (!dns_options) {
      spdlog::error("--dns-addr: {}", dns_options.error().message);
      return 1;
    }
    dns_options->metrics = &registry;
    dns = std::make_unique<dns::Responder>(table, *dns_options);
    auto dns_bound = dns->start();
    if (!dns_bound) {
      spdlog::error(
          "DNS: {} (use --dns-addr to pick another address, or --dns-addr '' to turn "
          "it off)",
          dns_bound.error().message);
      return 1;
    }
    spdlog::info("cluster DNS answering {} on {} (UDP and TCP)", options.cluster_domain,
                 *dns_bound);
  }

  // Containers of the docker engine resolve through their own responder (engine_factory.h).
  auto pod_dns = start_pod_dns(table, options, *engine_setup);
  if (!pod_dns) {
    spdlog::error("{}", pod_dns.error().message);
    return 1;
  }

  ReadyAnnouncer announcer(store, options.node_address);
  table.subscribe([&io, &announcer](const controller::ServiceTablePtr& t) {
    asio::post(io, [&announcer, t] { announcer.on_table(*t); });
  });

  control_plane.start();
  proxy.start();

  int exit_code = 0;
  for (auto& object : apply) {
    if (const auto* svc = std::get_if<config::Service>(&object)) announcer.expect(*svc);
    const auto& m = config::meta(object);
    auto created = store.apply(object);  // on top of the restored state, as kubectl apply
    if (!created) {
      spdlog::error("{}/{}: {}", m.namespace_, m.name, created.error().message);
      exit_code = 1;
    }
  }
  store_loaded = true;

  // Ctrl-C: stop accepting, stop every pod gracefully, exit. A second Ctrl-C kills at once.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (stopping) {
          spdlog::warn("signal {} again: killing every pod now", signo);
          engine.kill_all();
          io.stop();
          return;
        }
        stopping = true;
        spdlog::info("signal {}: stopping pods and exiting", signo);
        server.stop();
        proxy.stop();
        if (dns) dns->stop();
        control_plane.shutdown([&io] { io.stop(); });
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  io.run();
  proxy.stop();
  engine.kill_all();  // nothing should be left; this makes sure of it on every exit path
  ::close(*lock);
  spdlog::info("skiff stopped");
  return exit_code;
}

}  // namespace skiff::cli
