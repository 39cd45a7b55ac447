#include "api/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <vector>

#include "api/session.h"

namespace skiff::api {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class Server::Impl : public std::enable_shared_from_this<Server::Impl> {
 public:
  Impl(net::io_context& io, controller::Store& store, controller::engine::Engine* engine,
       ServerOptions options)
      : state_(std::make_shared<ServerState>(
            ServerState{store, engine, std::move(options), {}, {}, nullptr})),
        acceptor_(io),
        retry_timer_(io) {
    if (state_->options.metrics) {
      state_->api_metrics = std::make_unique<ApiMetrics>(*state_->options.metrics);
    }
  }

  void add_check(ReadinessCheck check) {
    // Sessions share the state read-only; checks are added before start(), while none exist.
    state_->checks.push_back(std::move(check));
  }

  void set_metrics(MetricsSource source) { state_->metrics = std::move(source); }

  config::Result<std::string> start() {
    const auto& o = state_->options;
    boost::system::error_code ec;
    const auto address = net::ip::make_address(o.address, ec);
    if (ec) {
      return config::ApiError{0,
                              "InvalidAddress",
                              "invalid API listen address \"" + o.address + "\": " + ec.message(),
                              {}};
    }
    const std::string where = (address.is_v6() ? "[" + o.address + "]" : o.address) + ":";
    const tcp::endpoint endpoint(address, o.port);
    auto fail = [&](const std::string& what) -> config::Result<std::string> {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return config::ApiError{0, "ListenFailed", what, {}};
    };
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return fail(where + std::to_string(o.port) + ": " + ec.message());
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    acceptor_.bind(endpoint, ec);
    if (ec == net::error::address_in_use) {
      return fail(where + std::to_string(o.port) +
                  ": address already in use — is another skiff daemon running?");
    }
    if (ec) return fail(where + std::to_string(o.port) + ": " + ec.message());
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail(where + std::to_string(o.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint(ec).port();
    stopped_ = false;
    do_accept();
    return where + std::to_string(port_);
  }

  uint16_t port() const { return port_; }

  void stop() {
    stopped_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& weak : sessions) {
      if (auto session = weak.lock()) session->close();
    }
    port_ = 0;
  }

 private:
  void do_accept() {
    acceptor_.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->on_accept(ec, std::move(socket));
        });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (stopped_ || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors and the like: back off briefly rather than spin on the error.
      spdlog::warn("api: accept failed: {}", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec && !self->stopped_) self->do_accept();
      });
      return;
    }
    std::erase_if(sessions_, [](const std::weak_ptr<Session>& w) {
      auto s = w.lock();
      return !s || s->closed();
    });
    if (sessions_.size() >= state_->options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      sessions_.push_back(start_session(std::move(socket), state_));
    }
    do_accept();
  }

  std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::vector<std::weak_ptr<Session>> sessions_;
  uint16_t port_ = 0;
  bool stopped_ = true;
};

Server::Server(net::io_context& io, controller::Store& store, controller::engine::Engine* engine,
               ServerOptions options)
    : impl_(std::make_shared<Impl>(io, store, engine, std::move(options))) {}

Server::~Server() { stop(); }

void Server::add_readiness_check(ReadinessCheck check) { impl_->add_check(std::move(check)); }
void Server::set_metrics_source(MetricsSource source) { impl_->set_metrics(std::move(source)); }
config::Result<std::string> Server::start() { return impl_->start(); }
uint16_t Server::port() const { return impl_->port(); }
void Server::stop() { impl_->stop(); }

}  // namespace skiff::api
