#include "api/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace skiff::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using config::ApiError;

constexpr uint64_t kMaxReplyBytes = 1ull << 30;
constexpr size_t kMaxWatchLine = 64 << 20;

std::string reason_for(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return status >= 500 ? "InternalError" : "Unknown";
  }
}

// `299 - "text"` -> text (unescaped); anything else is kept whole.
std::string warning_text(std::string_view value) {
  const auto open = value.find('"');
  if (open == std::string_view::npos || value.size() < open + 2 || value.back() != '"') {
    return std::string(value);
  }
  std::string out;
  for (size_t i = open + 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

// One connection with a deadline, driven by running a private io_context per step, so the
// caller sees a plain blocking call that can never hang past its timeout.
class Connection {
 public:
  Connection(std::string host, uint16_t port) : host_(std::move(host)), port_(port), stream_(io_) {}

  std::string where() const { return host_ + ":" + std::to_string(port_); }

  ApiError unavailable(const beast::error_code& ec) const {
    return ApiError{0,
                    "Unavailable",
                    "cannot reach the skiff daemon at " + where() + ": " + ec.message() +
                        " (is `skiff up` or `skiff daemon` running?)",
                    {}};
  }
  ApiError failure(const beast::error_code& ec, std::chrono::milliseconds timeout) const {
    if (ec == beast::error::timeout) {
      return ApiError{0,
                      "Timeout",
                      "the skiff daemon at " + where() + " did not answer within " +
                          std::to_string(timeout.count()) + " ms",
                      {}};
    }
    return ApiError{0,
                    "Unavailable",
                    "lost the connection to the skiff daemon at " + where() + ": " + ec.message(),
                    {}};
  }

  beast::error_code connect(std::chrono::milliseconds timeout) {
    beast::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
    if (ec) return ec;
    stream_.expires_after(timeout);
    stream_.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run();
    return ec;
  }

  template <class Message>
  beast::error_code write(Message& message) {
    beast::error_code ec;
    http::async_write(stream_, message, [&](beast::error_code e, size_t) { ec = e; });
    run();
    return ec;
  }

  template <class Parser>
  beast::error_code read_header(Parser& parser) {
    beast::error_code ec;
    http::async_read_header(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    run();
    return ec;
  }

  template <class Parser>
  beast::error_code read(Parser& parser) {
    beast::error_code ec;
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    run();
    return ec;
  }

  // Returns as soon as some body bytes arrived (for streaming), unlike read().
  template <class Parser>
  beast::error_code read_some(Parser& parser) {
    beast::error_code ec;
    http::async_read_some(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    run();
    return ec;
  }

  void expires_after(std::chrono::milliseconds timeout) {
    if (timeout.count() > 0) {
      stream_.expires_after(timeout);
    } else {
      stream_.expires_never();
    }
  }

 private:
  void run() {
    io_.restart();
    io_.run();
  }

  std::string host_;
  uint16_t port_;
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

http::request<http::string_body> make_request(std::string_view method, const std::string& host,
                                              const std::string& path, const std::string& body,
                                              std::string_view content_type) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(path);
  req.version(11);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "skiff");
  req.set(http::field::accept, "application/json, */*");
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();
  return req;
}

}  // namespace

ApiError error_from_reply(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.value("kind", "") == "Status") {
    ApiError error;
    error.code =
        j.contains("code") && j["code"].is_number_integer() ? j["code"].get<int>() : status;
    error.reason = j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>()
                                                                   : reason_for(status);
    error.message = j.contains("message") && j["message"].is_string()
                        ? j["message"].get<std::string>()
                        : "HTTP " + std::to_string(status);
    if (auto d = j.find("details"); d != j.end() && d->is_object()) {
      if (auto causes = d->find("causes"); causes != d->end() && causes->is_array()) {
        for (const auto& c : *causes) {
          if (!c.is_object()) continue;
          error.causes.push_back(
              {c.value("field", ""), c.value("reason", ""), c.value("message", "")});
        }
      }
    }
    return error;
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return ApiError{
      status, reason_for(status), text.empty() ? "HTTP " + std::to_string(status) : text, {}};
}

Client::Client(std::string host, uint16_t port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

Client::~Client() = default;

void Client::set_watch_idle_timeout(std::chrono::milliseconds timeout) {
  watch_idle_timeout_ = timeout;
}

config::Result<Response> Client::request(std::string_view method, const std::string& path,
                                         const std::string& body, std::string_view content_type) {
  warnings_.clear();
  Connection conn(host_, port_);
  if (auto ec = conn.connect(timeout_)) return conn.unavailable(ec);
  auto req = make_request(method, host_, path, body, content_type);
  if (auto ec = conn.write(req)) return conn.failure(ec, timeout_);
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  if (method == "HEAD") parser.skip(true);
  if (auto ec = conn.read(parser)) return conn.failure(ec, timeout_);
  auto& res = parser.get();
  Response out;
  out.status = static_cast<int>(res.result_int());
  for (auto it = res.find(http::field::warning);
       it != res.end() && it->name() == http::field::warning; ++it) {
    out.warnings.push_back(warning_text(it->value()));
  }
  out.text = std::move(res.body());
  if (!out.text.empty()) out.body = nlohmann::json::parse(out.text, nullptr, false);
  if (out.body.is_discarded()) out.body = nullptr;
  warnings_ = out.warnings;
  return out;
}

config::Result<nlohmann::json> Client::json_call(std::string_view method, const std::string& path,
                                                 const nlohmann::json& body) {
  auto res = request(method, path, body.is_null() ? std::string() : body.dump());
  if (!res) return res.error();
  if (res->status < 200 || res->status > 299) return error_from_reply(res->status, res->text);
  if (res->text.empty()) return nlohmann::json();
  auto j = nlohmann::json::parse(res->text, nullptr, false);
  if (j.is_discarded()) {
    return ApiError{0, "InternalError", "the skiff daemon sent a reply that is not JSON", {}};
  }
  return j;
}

config::Result<nlohmann::json> Client::get(const std::string& path) {
  return json_call("GET", path, nullptr);
}
config::Result<nlohmann::json> Client::post(const std::string& path, const nlohmann::json& body) {
  return json_call("POST", path, body);
}
config::Result<nlohmann::json> Client::put(const std::string& path, const nlohmann::json& body) {
  return json_call("PUT", path, body);
}
config::Result<nlohmann::json> Client::del(const std::string& path, const nlohmann::json& body) {
  return json_call("DELETE", path, body);
}

config::Result<std::string> Client::get_text(const std::string& path) {
  auto res = request("GET", path);
  if (!res) return res.error();
  if (res->status < 200 || res->status > 299) return error_from_reply(res->status, res->text);
  return std::move(res->text);
}

config::Result<bool> Client::watch(const std::string& path,
                                   const std::function<bool(const nlohmann::json&)>& on_event) {
  std::string target = path;
  if (target.find("watch=") == std::string::npos) {
    target += target.find('?') == std::string::npos ? "?watch=true" : "&watch=true";
  }
  std::string data;  // bytes received and not yet consumed as lines
  std::optional<ApiError> bad;
  auto r = stream_text(target, [&](std::string_view bytes) {
    data.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = data.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(data.data() + start, nl - start);
      if (line.empty() || line == "\r") continue;
      auto event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_discarded()) {
        bad = ApiError{0, "InternalError", "the skiff daemon sent an invalid watch event", {}};
        return false;
      }
      if (!on_event(event)) return false;
    }
    data.erase(0, start);
    if (data.size() > kMaxWatchLine) {
      bad = ApiError{0, "InternalError", "a watch event is larger than the client's limit", {}};
      return false;
    }
    return true;
  });
  if (bad) return *bad;
  return r;
}

config::Result<bool> Client::stream_text(const std::string& path,
                                         const std::function<bool(std::string_view)>& on_data) {
  warnings_.clear();
  Connection conn(host_, port_);
  if (auto ec = conn.connect(timeout_)) return conn.unavailable(ec);
  auto req = make_request("GET", host_, path, {}, {});
  if (auto ec = conn.write(req)) return conn.failure(ec, timeout_);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (auto ec = conn.read_header(parser)) return conn.failure(ec, timeout_);
  const int status = static_cast<int>(parser.get().result_int());
  for (auto it = parser.get().find(http::field::warning);
       it != parser.get().end() && it->name() == http::field::warning; ++it) {
    warnings_.push_back(warning_text(it->value()));
  }
  std::string error_body;  // a non-2xx reply's Status, bounded
  char chunk[16 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    conn.expires_after(status / 100 != 2 ? timeout_ : watch_idle_timeout_);
    auto ec = conn.read_some(parser);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::partial_message || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      break;  // the server went away: the stream ended
    }
    if (ec) {
      return conn.failure(ec, watch_idle_timeout_.count() > 0 ? watch_idle_timeout_ : timeout_);
    }
    const std::string_view data(chunk, sizeof chunk - parser.get().body().size);
    if (status / 100 != 2) {
      error_body.append(data);
      if (error_body.size() > kMaxWatchLine) break;
      continue;
    }
    if (!data.empty() && !on_data(data)) return true;
  }
  if (status / 100 != 2) return error_from_reply(status, error_body);
  return false;
}

}  // namespace skiff::api
