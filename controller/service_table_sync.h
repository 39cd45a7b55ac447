// Keeps the published ServiceTable in step with the store. Watch events on Services and
// Endpoints only mark a Service dirty; one sync (at most one per min_interval) rebuilds the
// dirty views and publishes a new snapshot with a higher version, or publishes nothing when
// no view changed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "controller/service_table.h"
#include "controller/store.h"
#include "controller/work_queue.h"

namespace skiff::controller {

class ServiceTableSync {
 public:
  ServiceTableSync(boost::asio::io_context& io, Store& store, ServiceTableSource& source,
                   std::chrono::milliseconds min_interval);
  ~ServiceTableSync();
  ServiceTableSync(const ServiceTableSync&) = delete;
  ServiceTableSync& operator=(const ServiceTableSync&) = delete;

  // Watches Services and Endpoints; the first sync publishes the full table.
  void start();
  uint64_t syncs() const { return syncs_; }  // syncs run (published or not), for tests
  // Told how long each sync took, published or not (the sync duration histogram).
  void set_sync_observer(std::function<void(std::chrono::steady_clock::duration)> observer) {
    sync_observer_ = std::move(observer);
  }

 private:
  void mark(const WatchEvent& e);
  void schedule();
  void sync();
  // Rebuilds the dirty views and publishes if any changed.
  void rebuild_and_publish();

  boost::asio::io_context& io_;
  Store& store_;
  ServiceTableSource& source_;
  std::chrono::milliseconds min_interval_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted work checks it is still here
  bool scheduled_ = false;
  bool published_ = false;
  uint64_t version_ = 0;
  uint64_t syncs_ = 0;
  std::chrono::steady_clock::time_point last_sync_{};
  std::set<ObjectKey> dirty_;
  std::map<ObjectKey, ServiceView> views_;  // ordered as the table: namespace, then name
  std::vector<uint64_t> watches_;
  std::function<void(std::chrono::steady_clock::duration)> sync_observer_;
};

}  // namespace skiff::controller
