// The Kubernetes-shaped HTTP API server (Boost.Beast) on the controller loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/readiness.h"
#include "config/status.h"
#include "controller/engine/engine.h"
#include "controller/store.h"
#include "metrics/registry.h"

namespace skiff::api {

// Renders the Prometheus text exposition for GET /metrics (called on the controller loop).
using MetricsSource = std::function<std::string()>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;                // 0: any free port (see Server::port())
  size_t max_body_bytes = 8 << 20;     // larger bodies get 413
  size_t max_header_bytes = 16 << 10;  // larger request heads get 431
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // per read and write
  size_t max_connections = 1024;              // beyond: new connections are closed at once
  size_t max_watch_backlog_bytes = 16 << 20;  // a watcher this far behind is disconnected
  metrics::Registry* metrics = nullptr;       // request and watch-client families (api_metrics.h)
};

class Server {
 public:
  // Runs on the controller loop `io` (the store is not thread-safe; everything touches it from
  // that loop). `store` (and `engine`, which may be null: logs then answer 503) must outlive
  // the server's connections, i.e. call stop() or destroy the server before them.
  Server(boost::asio::io_context& io, controller::Store& store, controller::engine::Engine* engine,
         ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Checks behind /readyz; add them before start().
  void add_readiness_check(ReadinessCheck check);
  // What GET /metrics serves; set it before start().
  void set_metrics_source(MetricsSource source);
  // Binds and listens. A taken port is an error with a clear message ("127.0.0.1:8080: address
  // already in use — is another skiff daemon running?"). value: the bound "127.0.0.1:8080".
  config::Result<std::string> start();
  // The bound port once started (useful with port 0), else 0.
  uint16_t port() const;
  // Closes the acceptor and every connection and ends watches. Idempotent. Call it on the loop
  // (or while the loop is not running).
  void stop();

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace skiff::api
