// A small HTTP/1.1 client for the Docker Engine API over its unix socket (Boost.Beast). Each
// exchange runs on a fresh connection, so a slow build or a long event stream never blocks
// another call. Completions run on the io_context the client was made with. Transport
// failures (no socket, dockerd not answering in time, a broken reply) are errors with a
// message that names the socket; HTTP error statuses are replies (404 and 304 mean something
// to their callers).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/status.h"

namespace skiff::controller::engine::docker {

struct Reply {
  int status = 0;
  std::string body;
};

struct Call {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // "/v1.41/containers/json?all=1"
  std::string body;
  std::string content_type = "application/json";
  // Connect, send and the reply's head must finish within `timeout`; the body too unless
  // `body_idle` is set, which then bounds each wait for more body (0: none, for /events).
  std::chrono::milliseconds timeout{30000};
  std::optional<std::chrono::milliseconds> body_idle;
  size_t body_limit = 64u << 20;  // collected bodies only; streamed data is not kept
};

// Cancels a stream; its completion is not called afterwards.
class StreamHandle {
 public:
  virtual ~StreamHandle() = default;
  virtual void cancel() = 0;
};

class Client {
 public:
  using Done = std::function<void(config::Result<Reply>)>;

  Client(boost::asio::io_context& io, std::string socket_path);

  const std::string& socket_path() const { return socket_; }

  // One exchange; `done` gets the status and the whole body.
  void call(Call call, Done done);

  // A streamed exchange: `on_head` gets the status once the head arrived; for a 2xx reply
  // `on_data` gets each part of the body as it arrives, else the body is collected and `done`
  // gets the error reply. `done` runs once, at the end of the body or on failure.
  std::shared_ptr<StreamHandle> stream(Call call, std::function<void(int)> on_head,
                                       std::function<void(std::string_view)> on_data, Done done);

  // Blocking: one exchange on a private io_context (for the CLI, daemon start and logs).
  static config::Result<Reply> call_sync(const std::string& socket_path, Call call);

 private:
  boost::asio::io_context& io_;
  std::string socket_;
};

}  // namespace skiff::controller::engine::docker
