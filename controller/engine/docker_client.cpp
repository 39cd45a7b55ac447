#include "controller/engine/docker_client.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <limits>

#include "controller/engine/docker_api.h"

namespace skiff::controller::engine::docker {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;
using Socket = beast::basic_stream<Local, asio::any_io_executor, beast::unlimited_rate_policy>;
using config::ApiError;
using config::Result;

namespace {

// One request/reply on its own connection. Holds itself alive through its pending operations.
class Exchange : public StreamHandle, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, std::string socket, Call call, bool streaming)
      : stream_(io), socket_(std::move(socket)), call_(std::move(call)), streaming_(streaming) {
    parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_.header_limit(64 * 1024);
  }

  std::function<void(int)> on_head;
  std::function<void(std::string_view)> on_data;
  Client::Done done;

  void start() {
    deadline_ = std::chrono::steady_clock::now() + call_.timeout;
    req_ = http::request<http::string_body>(call_.method, call_.target, 11);
    req_.set(http::field::host, "docker");
    req_.set(http::field::user_agent, "skiff");
    if (!call_.body.empty() || call_.method == http::verb::post) {
      req_.set(http::field::content_type, call_.content_type);
      req_.body() = call_.body;
    }
    req_.prepare_payload();
    stream_.expires_at(deadline_);
    stream_.async_connect(Local::endpoint(socket_),
                          [self = shared_from_this()](const beast::error_code& ec) {
                            if (ec) return self->fail("connect", ec);
                            self->write();
                          });
  }

  void cancel() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->cancelled_ = true;
      beast::error_code ignored;
      self->stream_.socket().shutdown(Local::socket::shutdown_both, ignored);
      self->stream_.close();
    });
  }

 private:
  void write() {
    http::async_write(stream_, req_,
                      [self = shared_from_this()](const beast::error_code& ec, size_t) {
                        if (ec) return self->fail("send", ec);
                        self->read_head();
                      });
  }

  void read_head() {
    http::async_read_header(stream_, buffer_, parser_,
                            [self = shared_from_this()](const beast::error_code& ec, size_t) {
                              if (ec) return self->fail("reply", ec);
                              self->status_ = static_cast<int>(self->parser_.get().result_int());
                              self->collect_ = !self->streaming_ || self->status_ >= 300;
                              if (self->on_head && !self->cancelled_) self->on_head(self->status_);
                              if (self->parser_.is_done()) return self->finish();
                              self->read_body();
                            });
  }

  void read_body() {
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    if (call_.body_idle) {
      if (call_.body_idle->count() > 0) {
        stream_.expires_after(*call_.body_idle);
      } else {
        stream_.expires_never();
      }
    }
    http::async_read_some(
        stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec == http::error::need_buffer) ec = {};
          const size_t n = self->chunk_.size() - self->parser_.get().body().size;
          if (n > 0 && !self->cancelled_) {
            std::string_view data(self->chunk_.data(), n);
            if (self->collect_) {
              if (self->body_.size() + n > self->call_.body_limit) {
                return self->fail_with(
                    fmt::format("reply larger than {} bytes", self->call_.body_limit));
              }
              self->body_.append(data);
            } else if (self->on_data) {
              self->on_data(data);
            }
          }
          if (ec) return self->fail("reply", ec);
          if (self->parser_.is_done()) return self->finish();
          self->read_body();
        });
  }

  void finish() {
    beast::error_code ignored;
    stream_.socket().shutdown(Local::socket::shutdown_both, ignored);
    stream_.close();
    complete(Reply{status_, std::move(body_)});
  }

  void fail(const char* step, const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      return fail_with(fmt::format(
          "{}: dockerd did not answer within {} ms", step,
          call_.body_idle && status_ ? call_.body_idle->count() : call_.timeout.count()));
    }
    fail_with(fmt::format("{}: {}", step, ec.message()));
  }

  void fail_with(const std::string& why) {
    stream_.close();
    complete(ApiError{503,
                      "ServiceUnavailable",
                      fmt::format("docker engine at unix://{}: {} {}: {}", socket_,
                                  std::string(http::to_string(call_.method)), call_.target, why),
                      {}});
  }

  void complete(Result<Reply> r) {
    if (completed_ || cancelled_) return;
    completed_ = true;
    auto d = std::move(done);
    on_data = nullptr;
    on_head = nullptr;
    if (d) d(std::move(r));
  }

  Socket stream_;
  std::string socket_;
  Call call_;
  bool streaming_;
  std::chrono::steady_clock::time_point deadline_;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 16384> chunk_{};
  std::string body_;
  int status_ = 0;
  bool collect_ = true;
  bool completed_ = false;
  bool cancelled_ = false;
};

}  // namespace

Client::Client(asio::io_context& io, std::string socket_path)
    : io_(io), socket_(std::move(socket_path)) {}

void Client::call(Call call, Done done) {
  auto x = std::make_shared<Exchange>(io_, socket_, std::move(call), false);
  x->done = std::move(done);
  x->start();
}

std::shared_ptr<StreamHandle> Client::stream(Call call, std::function<void(int)> on_head,
                                             std::function<void(std::string_view)> on_data,
                                             Done done) {
  auto x = std::make_shared<Exchange>(io_, socket_, std::move(call), true);
  x->on_head = std::move(on_head);
  x->on_data = std::move(on_data);
  x->done = std::move(done);
  x->start();
  return x;
}

Result<Reply> Client::call_sync(const std::string& socket_path, Call call) {
  asio::io_context io;
  std::optional<Result<Reply>> out;
  Client(io, socket_path).call(std::move(call), [&out](Result<Reply> r) { out = std::move(r); });
  io.run();
  if (!out) return ApiError{503, "ServiceUnavailable", "docker engine: no reply", {}};
  return std::move(*out);
}

}  // namespace skiff::controller::engine::docker
