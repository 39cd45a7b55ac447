#include "controller/engine/docker_log_stream.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <optional>

#include "controller/engine/docker_api.h"

namespace skiff::controller::engine {
namespace asio = boost::asio;

std::string docker_logs_target(const std::string& container_id, const LogOptions& options) {
  std::string target = "/containers/" + container_id + "/logs?stdout=1&stderr=1";
  if (options.follow) target += "&follow=1";
  target += "&tail=" + (options.tail_lines ? std::to_string(*options.tail_lines) : "all");
  if (options.since) {
    // dockerd takes seconds since the epoch with an optional nine-digit fraction.
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.since->time_since_epoch())
            .count();
    const int64_t secs = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
    target += fmt::format("&since={}.{:09}", secs, ns - secs * 1000000000);
  }
  if (options.timestamps) target += "&timestamps=1";
  return docker::versioned(target);
}

namespace {

class DockerFollower final : public std::enable_shared_from_this<DockerFollower> {
 public:
  explicit DockerFollower(asio::io_context& io) : io_(io) {}

  void start(docker::Client& client, docker::Call call) {
    std::weak_ptr<DockerFollower> weak = shared_from_this();
    handle_ = client.stream(
        std::move(call), [](int) {},
        [weak](std::string_view data) {
          if (auto self = weak.lock()) self->on_data(data);
        },
        [weak](Result<docker::Reply> r) {
          if (auto self = weak.lock()) self->on_done(std::move(r));
        });
  }

  void read(LogStream::ReadHandler done) {
    if (closed_) return;
    pending_ = std::move(done);
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->serve();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    pending_ = nullptr;
    if (handle_) handle_->cancel();
    handle_.reset();
  }

 private:
  void on_data(std::string_view data) {
    if (closed_ || ended_) return;
    demux_.feed(data, buffered_);
    if (buffered_.size() > kMaxBufferedLogBytes) {
      if (handle_) handle_->cancel();
      handle_.reset();
      ended_ = true;
      error_ = ApiError{500, "InternalError", "the log reader fell too far behind", {}};
    }
    serve();
  }

  void on_done(Result<docker::Reply> r) {
    if (closed_) return;
    ended_ = true;
    handle_.reset();
    if (!r) {
      error_ = r.error();
    } else if (r->status / 100 != 2) {
      error_ = ApiError{r->status,
                        r->status == 404 ? "NotFound" : "InternalError",
                        docker::error_message(r->status, r->body),
                        {}};
    }
    serve();
  }

  void serve() {
    if (closed_ || !pending_) return;
    if (!buffered_.empty()) {
      std::string out = std::move(buffered_);
      buffered_.clear();
      return deliver(std::move(out));
    }
    if (!ended_) return;  // the next on_data or on_done serves it
    if (error_) return deliver(*error_);
    deliver(std::string());
  }

  void deliver(Result<std::string> r) {
    auto done = std::move(pending_);
    pending_ = nullptr;
    done(std::move(r));
  }

  asio::io_context& io_;
  std::shared_ptr<docker::StreamHandle> handle_;
  docker::StreamDemuxer demux_;
  std::string buffered_;  // demuxed, not yet taken by the reader
  LogStream::ReadHandler pending_;
  std::optional<ApiError> error_;
  bool ended_ = false;
  bool closed_ = false;
};

class DockerLogStream final : public LogStream {
 public:
  explicit DockerLogStream(std::shared_ptr<DockerFollower> follower)
      : follower_(std::move(follower)) {}
  ~DockerLogStream() override { follower_->close(); }
  void read(ReadHandler done) override { follower_->read(std::move(done)); }

 private:
  std::shared_ptr<DockerFollower> follower_;
};

}  // namespace

std::unique_ptr<LogStream> open_docker_log(asio::io_context& io, docker::Client& client,
                                           const std::string& container_id,
                                           const LogOptions& options) {
  docker::Call call;
  call.method = boost::beast::http::verb::get;
  call.target = docker_logs_target(container_id, options);
  call.timeout = std::chrono::milliseconds(10000);  // connect and head
  call.body_idle = std::chrono::milliseconds(0);    // then output may be hours apart
  auto follower = std::make_shared<DockerFollower>(io);
  follower->start(client, std::move(call));
  return std::make_unique<DockerLogStream>(std::move(follower));
}

}  // namespace skiff::controller::engine
