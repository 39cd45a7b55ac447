#include "proxy/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "proxy/listener_plan.h"
#include "proxy/tcp_listener.h"
#include "proxy/udp_listener.h"

namespace skiff::proxy {

namespace asio = boost::asio;

Worker::Worker(int id, const ProxyOptions& options, RouteCompiler& compiler, ProxyMetrics& metrics,
               ApplyStatus& status)
    : id_(id), options_(options), compiler_(compiler), status_(status), context_(io_, metrics) {}

Worker::~Worker() {
  join();
  // Normally stop() has drained every session; if the thread ended otherwise, close what is
  // left and run the handlers their closing queues, so nothing outlives io_.
  listeners_.clear();
  context_.sessions.close_all();
  io_.restart();
  io_.poll();
}

void Worker::start() {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] {
    // Handlers report failures through error codes; this only keeps a stray exception (say,
    // bad_alloc) from taking the process down. Each pass runs until io_ runs out of work.
    for (int pass = 0; pass < 100; ++pass) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("proxy worker {}: {}", id_, e.what());
      }
    }
  });
}

void Worker::post(controller::ServiceTablePtr table) {
  asio::post(io_, [this, table = std::move(table)] { apply(table); });
}

void Worker::stop() {
  asio::post(io_, [this] {
    close_all();
    work_.reset();  // run() returns once the closed sockets' handlers have drained
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::apply(const controller::ServiceTablePtr& table) {
  if (!table || (applied_version_ && table->version <= *applied_version_)) return;
  // May be newer than `table` when another worker got there first: apply that at once.
  const RouteTablePtr compiled = compiler_.compile(table);
  if (!compiled || (applied_version_ && compiled->version <= *applied_version_)) return;
  const bool log = id_ == 0;  // every worker does the same; one of them speaks for all
  std::vector<std::string> errors = compiled->plan.errors;
  std::vector<std::string> listening;
  std::map<std::string, std::shared_ptr<Listener>> next;

  for (const ListenerSpec& spec : compiled->plan.listeners) {
    const std::string key = spec.key();
    const std::string address = key.substr(spec.protocol.size() + 1);
    if (auto blocked = compiled->blocked.find(key); blocked != compiled->blocked.end()) {
      errors.push_back(fmt::format("{}: bind {}: {}", spec.owner(), address, blocked->second));
      if (log) spdlog::warn("proxy: {}", errors.back());
      continue;
    }
    const RoutePtr* route = compiled->find(balancer_key(*spec.service, *spec.service_port));
    if (route == nullptr) continue;  // cannot happen: every planned port has a route
    auto kept = listeners_.find(key);
    if (kept != listeners_.end()) {
      kept->second->set_route(*route);
      next.emplace(key, std::move(kept->second));
      listeners_.erase(kept);
      listening.push_back(key);
      continue;
    }
    std::shared_ptr<Listener> listener;
    if (spec.protocol == "UDP") {
      listener = std::make_shared<UdpListener>(io_);
    } else {
      listener = std::make_shared<TcpListener>(context_);
    }
    if (auto ec = listener->open(spec.address, spec.port)) {
      errors.push_back(fmt::format("{}: bind {}: {}", spec.owner(), address, ec.message()));
      if (log) spdlog::warn("proxy: {}", errors.back());
      continue;
    }
    listener->set_route(*route);
    listener->start();
    if (log) spdlog::info("proxy: {} listening on {}", spec.owner(), key);
    next.emplace(key, std::move(listener));
    listening.push_back(key);
  }
  // Whatever was not carried over is gone from the snapshot.
  for (auto& [key, listener] : listeners_) {
    listener->close();
    if (log) spdlog::info("proxy: closed {}", key);
  }
  listeners_ = std::move(next);
  // Established sessions: reset those of deleted Service ports, drain those whose endpoint left.
  context_.sessions.for_each([&](Session& session) { session.update(*compiled); });
  applied_version_ = compiled->version;
  status_.report(id_, compiled->version, std::move(listening), std::move(errors));
}

void Worker::close_all() {
  for (auto& [key, listener] : listeners_) listener->close();
  listeners_.clear();
  context_.sessions.close_all();
  context_.poller.close();  // its pending wait would keep run() from returning
  status_.report(id_, applied_version_.value_or(0), {}, {});
}

}  // namespace skiff::proxy
