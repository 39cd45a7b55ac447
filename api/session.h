// One HTTP connection of the API server: keep-alive request/reply exchanges, or, after a
// ?watch=true request, a chunked stream of watch events until either side goes away.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "api/api_metrics.h"
#include "api/dispatch.h"
#include "api/server.h"

namespace skiff::api {

// What every connection shares with the server; kept alive by the connections themselves so a
// late completion after Server destruction never touches freed memory.
struct ServerState {
  controller::Store& store;
  controller::engine::Engine* engine;
  ServerOptions options;
  std::vector<ReadinessCheck> checks;
  MetricsSource metrics;
  std::unique_ptr<ApiMetrics> api_metrics;  // null: options.metrics was null
};

class Session {
 public:
  virtual ~Session() = default;
  // Ends the connection now: unregisters any watch and closes the socket. Must not be called
  // from inside a store watcher (it unregisters one).
  virtual void close() = 0;
  virtual bool closed() const = 0;
};

// Starts serving the accepted socket; the session keeps itself alive through its pending
// operations, so the server holds only weak references (for stop()).
std::shared_ptr<Session> start_session(boost::asio::ip::tcp::socket socket,
                                       std::shared_ptr<const ServerState> state);

}  // namespace skiff::api
