#include "api/session.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <string>

#include "api/routes.h"
#include "api/watch_filter.h"

namespace skiff::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using config::ApiError;

// After a reply that ends the connection the client may still be sending (an oversized body);
// closing with unread data would reset the connection before it reads the reply, so the rest
// is read and dropped for a bounded time and amount first.
constexpr std::chrono::seconds kLingerTime{2};
constexpr size_t kLingerBytes = 64 << 20;

// A Warning header value: 299 - "text", with the text kept to one line and quotes escaped.
std::string warning_value(const std::string& text) {
  std::string out = "299 - \"";
  for (char c : text) {
    if (c == '\r' || c == '\n') {
      out += ' ';
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category();
}

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, std::shared_ptr<const ServerState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  void run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);  // watch events are small writes
    do_read();
  }

  bool closed() const override { return closed_; }

  void close() override {
    if (closed_) return;
    closed_ = true;
    if (watch_id_) {
      state_->store.unwatch(*watch_id_);
      watch_id_.reset();
      if (state_->api_metrics) state_->api_metrics->watch_ended(filter_.kind);
    }
    log_.reset();  // stops the engine's stream: its files or connections are released
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();  // also cancels the stream's timers
  }

 private:
  const ServerOptions& options() const { return state_->options; }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options().max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(options().max_body_bytes);
    stream_.expires_after(options().idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
      return reply_and_finish(ApiError{413,
                                       "RequestEntityTooLarge",
                                       "the request body is larger than the limit of " +
                                           std::to_string(options().max_body_bytes) + " bytes",
                                       {}});
    }
    if (ec == http::error::header_limit) {
      return reply_and_finish(ApiError{431,
                                       "RequestHeaderFieldsTooLarge",
                                       "the request head is larger than the limit of " +
                                           std::to_string(options().max_header_bytes) + " bytes",
                                       {}});
    }
    if (ec && ec != http::error::end_of_stream && is_http_parse_error(ec)) {
      return reply_and_finish(ApiError::bad_request("malformed HTTP request: " + ec.message()));
    }
    if (ec) return close();  // end of stream, idle timeout, reset: nothing to answer

    auto& message = parser_->get();
    version_ = message.version();
    const bool keep_alive = message.keep_alive();
    Request request{std::string(message.method_string()), std::string(message.target()),
                    std::move(message.body()), std::string(message[http::field::content_type]),
                    std::string(message[http::field::accept])};
    parser_.reset();
    Reply reply = dispatch(
        request, ApiContext{state_->store, state_->engine, state_->checks, state_->metrics});
    count_request(request, reply);
    if (reply.watch) return start_watch(*reply.watch);
    if (reply.log) return start_log(std::move(reply));
    send(std::move(reply), keep_alive);
  }

  void count_request(const Request& request, const Reply& reply) const {
    if (!state_->api_metrics) return;
    const auto route = parse_route(split_target(request.target).path);
    const bool collection = route && route->endpoint == Endpoint::kCollection;
    state_->api_metrics->request(request_verb(request.method, collection, reply.watch.has_value()),
                                 reply.status);
  }

  http::response<http::string_body> to_response(Reply reply, bool keep_alive) const {
    http::response<http::string_body> res{static_cast<http::status>(reply.status), version_};
    res.set(http::field::server, "skiff");
    res.set(http::field::content_type, reply.content_type);
    for (const auto& w : reply.warnings) res.insert(http::field::warning, warning_value(w));
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    return res;
  }

  void send(Reply reply, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(
        to_response(std::move(reply), keep_alive));
    stream_.expires_after(options().idle_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (self->closed_) return;
                        if (ec) return self->close();
                        if (keep_alive) return self->do_read();
                        self->linger();
                      });
  }

  // Answers with an error Status and ends the connection (the request could not be read, so
  // the stream cannot be trusted for another one).
  void reply_and_finish(const ApiError& error) {
    if (version_ == 0) version_ = 11;
    send(error_reply(error), false);
  }

  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (self->closed_) return;
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) return self->close();
                              self->drain();
                            });
  }

  // ---- watch ---------------------------------------------------------------------------

  void start_watch(const WatchRequest& watch) {
    if (version_ < 11) {
      return reply_and_finish(ApiError::bad_request("watch needs HTTP/1.1 (chunked transfer)"));
    }
    auto& store = state_->store;
    filter_ = watch.filter;
    // Snapshot and subscribe in the same loop turn, so no change falls between them.
    for (const auto& object : store.list(filter_.kind, filter_.ns)) {
      if (!watch_matches(filter_, *object)) continue;
      if (watch.since && config::meta(*object).resource_version <= *watch.since) continue;
      pending_ += watch_line(watch.since ? "MODIFIED" : "ADDED", *object, filter_.table);
    }
    std::weak_ptr<HttpSession> weak = shared_from_this();
    watch_id_ = store.watch(filter_.kind, [weak](const controller::WatchEvent& event) {
      if (auto self = weak.lock()) self->on_watch_event(event);
    });
    if (state_->api_metrics) state_->api_metrics->watch_started(filter_.kind);

    watch_head_.emplace(http::status::ok, version_);
    watch_head_->set(http::field::server, "skiff");
    watch_head_->set(http::field::content_type, "application/json");
    watch_head_->chunked(true);
    watch_head_->keep_alive(false);
    watch_serializer_.emplace(*watch_head_);
    stream_.expires_after(options().idle_timeout);
    http::async_write_header(stream_, *watch_serializer_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (self->closed_) return;
                               if (ec) return self->close();
                               self->head_sent_ = true;
                               self->await_client_close();
                               self->flush_watch();
                             });
  }

  // Runs inside the store's notification: only queue and start a write, never touch the store.
  void on_watch_event(const controller::WatchEvent& event) {
    if (closed_) return;
    auto type = watch_event_type(filter_, event);
    if (!type) return;
    pending_ += watch_line(*type, *event.object, filter_.table);
    if (pending_.size() > options().max_watch_backlog_bytes) {
      // Too slow a reader: drop it, as the Kubernetes API server drops slow watchers. close()
      // unregisters the watcher, which must not happen inside the notification.
      net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
      return;
    }
    flush_watch();
  }

  void flush_watch() {
    if (closed_ || !head_sent_ || writing_ || pending_.empty()) return;
    in_flight_.swap(pending_);
    pending_.clear();
    writing_ = true;
    stream_.expires_after(options().idle_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(in_flight_)),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (self->closed_) return;
                       if (ec) return self->close();
                       self->in_flight_.clear();
                       self->flush_watch();
                     });
  }

  // ---- log -----------------------------------------------------------------------------
  // The container's output, chunked (HTTP/1.0: raw, ended by the close). The engine's stream
  // is read only after the previous piece was written, so a slow client slows the reading
  // and nothing piles up here.

  void start_log(Reply reply) {
    log_ = std::move(reply.log);
    log_left_ = reply.log_limit_bytes;
    log_head_.emplace(http::status::ok, version_);
    log_head_->set(http::field::server, "skiff");
    log_head_->set(http::field::content_type, "text/plain");
    for (const auto& w : reply.warnings) log_head_->insert(http::field::warning, warning_value(w));
    if (version_ >= 11) log_head_->chunked(true);
    log_head_->keep_alive(false);
    log_serializer_.emplace(*log_head_);
    stream_.expires_after(options().idle_timeout);
    http::async_write_header(stream_, *log_serializer_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (self->closed_) return;
                               if (ec) return self->close();
                               self->await_client_close();
                               self->read_log();
                             });
  }

  void read_log() {
    if (closed_ || !log_) return;
    std::weak_ptr<HttpSession> weak = shared_from_this();
    log_->read([weak](config::Result<std::string> piece) {
      if (auto self = weak.lock()) self->on_log(std::move(piece));
    });
  }

  void on_log(config::Result<std::string> piece) {
    if (closed_) return;
    // An error after the head was sent cannot become a status any more: the stream just ends.
    if (!piece || piece->empty()) return end_log();
    std::string data = std::move(piece.value());
    bool last = false;
    if (log_left_) {
      if (data.size() >= *log_left_) {
        data.resize(static_cast<size_t>(*log_left_));
        last = true;
      }
      *log_left_ -= data.size();
    }
    log_out_ = std::move(data);
    stream_.expires_after(options().idle_timeout);
    auto done = [self = shared_from_this(), last](beast::error_code ec, size_t) {
      if (self->closed_) return;
      if (ec) return self->close();
      if (last) return self->end_log();
      self->read_log();
    };
    if (version_ >= 11) {
      net::async_write(stream_, http::make_chunk(net::buffer(log_out_)), std::move(done));
    } else {
      net::async_write(stream_, net::buffer(log_out_), std::move(done));
    }
  }

  // The last chunk, then the connection ends (the client reads to the end of the stream).
  void end_log() {
    log_.reset();
    if (version_ < 11) return close();  // the close ends the body
    stream_.expires_after(options().idle_timeout);
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (self->closed_) return;
                       if (ec) return self->close();
                       self->close();
                     });
  }

  // A watch client sends nothing more; any data, end of stream or error means it is gone.
  void await_client_close() {
    stream_.expires_never();
    stream_.async_read_some(
        net::buffer(scratch_),
        [self = shared_from_this()](beast::error_code, size_t) { self->close(); });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<const ServerState> state_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool closed_ = false;
  size_t drained_ = 0;
  char scratch_[4096];

  WatchFilter filter_;
  std::optional<uint64_t> watch_id_;
  std::optional<http::response<http::empty_body>> watch_head_;
  std::optional<http::response_serializer<http::empty_body>> watch_serializer_;
  bool head_sent_ = false;
  bool writing_ = false;
  std::string pending_;
  std::string in_flight_;

  std::shared_ptr<controller::engine::LogStream> log_;
  std::optional<uint64_t> log_left_;  // limitBytes still to send
  std::optional<http::response<http::empty_body>> log_head_;
  std::optional<http::response_serializer<http::empty_body>> log_serializer_;
  std::string log_out_;  // the piece being written
};

}  // namespace

std::shared_ptr<Session> start_session(tcp::socket socket,
                                       std::shared_ptr<const ServerState> state) {
  auto session = std::make_shared<HttpSession>(std::move(socket), std::move(state));
  session->run();
  return session;
}

}  // namespace skiff::api
