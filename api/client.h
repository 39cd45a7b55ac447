// The synchronous client the CLI uses to talk to a running daemon's API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace skiff::api {

struct Response {
  int status = 0;
  nlohmann::json body;                // null when the body is empty or not JSON
  std::string text;                   // the body as received
  std::vector<std::string> warnings;  // texts of `Warning: 299 - "..."` headers
};

class Client {
 public:
  // timeout bounds each request as a whole: connect, send and the complete reply.
  Client(std::string host, uint16_t port,
         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Kubernetes Status bodies of non-2xx replies become ApiError {code, reason, message, causes};
  // a daemon that isn't running gives ApiError{code 0, reason "Unavailable", message "cannot
  // reach the skiff daemon at 127.0.0.1:8080: Connection refused (is `skiff up` or `skiff
  // daemon` running?)"}; no reply within the timeout gives code 0, reason "Timeout".
  config::Result<nlohmann::json> get(const std::string& path);
  config::Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body);
  config::Result<nlohmann::json> put(const std::string& path, const nlohmann::json& body);
  config::Result<nlohmann::json> del(const std::string& path, const nlohmann::json& body = nullptr);
  config::Result<std::string> get_text(const std::string& path);  // logs

  // Streams a watch (?watch=true is added when the path has no watch parameter): calls
  // on_event for each {"type","object"} line until it returns false (value true) or the server
  // ends the stream (value false). Waits for events without limit unless
  // set_watch_idle_timeout() was given one.
  config::Result<bool> watch(const std::string& path,
                             const std::function<bool(const nlohmann::json&)>& on_event);
  // Streams a text body (pod logs with follow=true): calls on_data with the bytes as they
  // arrive until it returns false (value true) or the server ends the body (value false).
  // Waits between pieces as long as set_watch_idle_timeout() says. Non-2xx: the ApiError.
  config::Result<bool> stream_text(const std::string& path,
                                   const std::function<bool(std::string_view)>& on_data);
  // 0: wait forever between watch events (the default, for `get -w`).
  void set_watch_idle_timeout(std::chrono::milliseconds timeout);

  // The raw exchange: any HTTP status is a value; only transport failures are errors.
  config::Result<Response> request(std::string_view method, const std::string& path,
                                   const std::string& body = {},
                                   std::string_view content_type = "application/json");

  // Warnings of the last reply (printed by the CLI as "Warning: ...").
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  config::Result<nlohmann::json> json_call(std::string_view method, const std::string& path,
                                           const nlohmann::json& body);

  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds watch_idle_timeout_{0};
  std::vector<std::string> warnings_;
};

// The ApiError for a non-2xx reply: its Kubernetes Status body when it has one, else the
// status code with the body text. Pure.
config::ApiError error_from_reply(int status, const std::string& body);

}  // namespace skiff::api
