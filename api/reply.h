// One request as the REST layer sees it and the reply it produces, free of the HTTP library so
// the REST layer can be driven without sockets. The session turns a Reply into HTTP.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/watch_filter.h"
#include "config/objects.h"
#include "config/status.h"
#include "controller/engine/engine.h"

namespace skiff::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string body;
  std::string content_type;  // the Content-Type header, as sent ("" when absent)
  std::string accept;        // the Accept header, as sent ("" when absent)
};

struct WatchRequest {
  WatchFilter filter;
  // nullopt or 0: first every current object as ADDED. Otherwise only objects changed after
  // this resourceVersion (as MODIFIED); the store keeps no history, so deletions before the
  // watch began are not replayed.
  std::optional<uint64_t> since;
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::string> warnings;  // each becomes `Warning: 299 - "text"`
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<WatchRequest> watch;  // set: stream events instead of `body`
  // set: stream the container's output (text/plain, chunked) instead of `body`, at most
  // `log_limit_bytes` of it (limitBytes), ending the connection with the stream.
  std::shared_ptr<controller::engine::LogStream> log;
  std::optional<uint64_t> log_limit_bytes;
};

Reply json_reply(unsigned status, const nlohmann::json& body);
Reply text_reply(unsigned status, std::string body);
// A Kubernetes Status body with the error's code as the HTTP status (500 when the code is not
// an HTTP error status).
Reply error_reply(const config::ApiError& error);

}  // namespace skiff::api
