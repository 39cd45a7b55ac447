// Worker: one io_context thread of the proxy with its own listeners and sessions. Snapshots are
// posted to it and applied on its thread, so its listener map and sessions need no lock.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "controller/service_table.h"
#include "proxy/apply_status.h"
#include "proxy/balancer_registry.h"
#include "proxy/proxy.h"
#include "proxy/session_set.h"

namespace skiff::proxy {

class Listener;

class Worker {
 public:
  // `balancers` and `status` are shared with the other workers and outlive this one.
  Worker(int id, const ProxyOptions& options, BalancerRegistry& balancers, ApplyStatus& status);
  ~Worker();  // joins; call stop() first
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  // Thread-safe: hands the snapshot to the worker thread. Older or repeated versions are skipped.
  void post(controller::ServiceTablePtr table);
  // Thread-safe: closes listeners and sessions on the worker thread; the thread then ends.
  void stop();
  void join();

 private:
  void apply(const controller::ServiceTablePtr& table);
  void close_all();

  int id_;
  const ProxyOptions& options_;
  BalancerRegistry& balancers_;
  ApplyStatus& status_;
  // Declared before io_ so that it outlives sessions destroyed with io_'s pending handlers.
  SessionSet sessions_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  // Declared after io_: acceptors must be destroyed before their io_context.
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // by ListenerSpec::key()
  std::optional<uint64_t> applied_version_;
  std::thread thread_;
};

}  // namespace skiff::proxy
