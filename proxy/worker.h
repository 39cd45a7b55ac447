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
#include "proxy/proxy.h"
#include "proxy/route_table.h"
#include "proxy/worker_context.h"

namespace skiff::proxy {

class Listener;

class Worker {
 public:
  // `compiler`, `metrics` and `status` are shared with the other workers and outlive this one.
  Worker(int id, const ProxyOptions& options, RouteCompiler& compiler, ProxyMetrics& metrics,
         ApplyStatus& status);
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
  RouteCompiler& compiler_;
  ApplyStatus& status_;
  boost::asio::io_context io_{1};
  // After io_ (sessions' sockets need it) and destroyed before it: ~Worker frees what is left.
  WorkerContext context_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  // Declared after io_: acceptors must be destroyed before their io_context.
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // by ListenerSpec::key()
  std::optional<uint64_t> applied_version_;
  std::thread thread_;
};

}  // namespace skiff::proxy
