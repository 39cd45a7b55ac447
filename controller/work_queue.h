// A deduplicating work queue drained on the controller loop. Watch callbacks only add keys
// (they must not mutate the store inline); one drain is posted per batch, so a burst of events
// for the same object becomes one reconcile. Keys added while draining go to the next drain.
#pragma once

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace skiff::controller {

using ObjectKey = std::pair<std::string, std::string>;  // namespace, name

// Told of every named queue's work, for metrics (controller_metrics.h). Calls come on the
// controller loop, from inside add() and the drain; they must be quick and must not touch the
// queue.
class WorkQueueObserver {
 public:
  virtual ~WorkQueueObserver() = default;
  // A key was added (or was already pending); depth: distinct keys now waiting.
  virtual void added(std::string_view queue, std::size_t depth) = 0;
  // One reconcile ran for `took`; depth: keys still waiting (this drain's rest and new adds).
  virtual void reconciled(std::string_view queue, std::chrono::steady_clock::duration took,
                          std::size_t depth) = 0;
};

// The observer of every named WorkQueue on one io_context, as an Asio service of that context,
// so each controller only names its queue and the composition root (ControlPlane) installs the
// metrics once instead of threading a metrics pointer through every controller.
class WorkQueueObserverSlot final : public boost::asio::execution_context::service {
 public:
  using key_type = WorkQueueObserverSlot;
  static inline boost::asio::execution_context::id id;

  explicit WorkQueueObserverSlot(boost::asio::execution_context& context) : service(context) {}

  // Replaces the observer (nullptr: none). Call it on the loop, or before the loop runs.
  void set(std::shared_ptr<WorkQueueObserver> observer) { observer_ = std::move(observer); }
  const std::shared_ptr<WorkQueueObserver>& get() const { return observer_; }

 private:
  void shutdown() override { observer_.reset(); }
  std::shared_ptr<WorkQueueObserver> observer_;
};

template <class Key>
class WorkQueue {
 public:
  using Reconcile = std::function<void(const Key&)>;

  // name: what the metrics call this queue ("deployment", "endpoints", ...); "" leaves it
  // unobserved.
  WorkQueue(boost::asio::io_context& io, std::string name, Reconcile reconcile)
      : io_(io), state_(std::make_shared<State>()) {
    state_->name = std::move(name);
    state_->reconcile = std::move(reconcile);
    if (!state_->name.empty()) state_->slot = &boost::asio::use_service<WorkQueueObserverSlot>(io);
  }
  WorkQueue(boost::asio::io_context& io, Reconcile reconcile)
      : WorkQueue(io, std::string(), std::move(reconcile)) {}
  // Posted drains and timers hold only a weak reference, so they are harmless after the
  // queue (and its controller) is gone.
  ~WorkQueue() { state_->reconcile = nullptr; }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(Key key) {
    state_->pending.insert(std::move(key));
    if (auto observer = state_->observer()) observer->added(state_->name, state_->pending.size());
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

  std::size_t depth() const { return state_->pending.size(); }

 private:
  struct State {
    std::string name;
    Reconcile reconcile;
    std::set<Key> pending;
    bool posted = false;
    WorkQueueObserverSlot* slot = nullptr;  // lives as long as the io_context

    std::shared_ptr<WorkQueueObserver> observer() const { return slot ? slot->get() : nullptr; }
  };

  static void drain(State& s) {
    s.posted = false;
    std::set<Key> batch;
    batch.swap(s.pending);
    std::size_t left = batch.size();
    for (const auto& key : batch) {
      if (!s.reconcile) return;
      --left;
      const auto observer = s.observer();
      if (!observer) {
        s.reconcile(key);
        continue;
      }
      const auto started = std::chrono::steady_clock::now();
      s.reconcile(key);
      // The reconcile may have destroyed the queue's owner (s.reconcile is then empty), but
      // not the State this drain holds, and `observer` is co-owned for the call.
      observer->reconciled(s.name, std::chrono::steady_clock::now() - started,
                           left + s.pending.size());
    }
  }

  boost::asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controller
