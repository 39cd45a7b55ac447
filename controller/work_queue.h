// A deduplicating work queue drained on the controller loop. Watch callbacks only add keys
// (they must not mutate the store inline); one drain is posted per batch, so a burst of events
// for the same object becomes one reconcile. Keys added while draining go to the next drain.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

namespace skiff::controller {

using ObjectKey = std::pair<std::string, std::string>;  // namespace, name

template <class Key>
class WorkQueue {
 public:
  using Reconcile = std::function<void(const Key&)>;

  WorkQueue(boost::asio::io_context& io, Reconcile reconcile)
      : io_(io), state_(std::make_shared<State>()) {
    state_->reconcile = std::move(reconcile);
  }
  // Posted drains and timers hold only a weak reference, so they are harmless after the
  // queue (and its controller) is gone.
  ~WorkQueue() { state_->reconcile = nullptr; }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(Key key) {
    state_->pending.insert(std::move(key));
    if (state_->posted) return;
    state_->posted = true;
    boost::asio::post(io_, [weak = std::weak_ptr<State>(state_)] {
      if (auto s = weak.lock()) drain(*s);
    });
  }

  // Re-adds the key after a delay (a retry after a failed store call, or a time-based
  // condition such as minReadySeconds).
  void add_after(Key key, std::chrono::milliseconds delay) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    timer->async_wait([this, timer, key = std::move(key),
                       weak = std::weak_ptr<State>(state_)](boost::system::error_code ec) {
      if (ec || weak.expired()) return;
      add(key);
    });
  }

 private:
  struct State {
    Reconcile reconcile;
    std::set<Key> pending;
    bool posted = false;
  };

  static void drain(State& s) {
    s.posted = false;
    std::set<Key> batch;
    batch.swap(s.pending);
    for (const auto& key : batch) {
      if (!s.reconcile) return;
      s.reconcile(key);
    }
  }

  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controller
