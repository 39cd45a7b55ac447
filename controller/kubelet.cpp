// Kubelet (kubelet.h): construction, start (the watches, the engine's events and the
// recovery of running containers), shutdown, the lookups the other parts share, and the public
// facade over Kubelet::Impl. The rest of Impl is defined in the kubelet_*.cpp files listed in
// kubelet_impl.h.
#include "controller/kubelet.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "controller/kubelet_impl.h"

namespace skiff::controller {

Kubelet::Impl::Impl(asio::io_context& io, Store& store, engine::Engine& engine,
                    const ServiceTableSource& table, KubeletOptions options)
    : io_(io),
      store_(store),
      engine_(engine),
      table_(table),
      options_(options),
      backoff_(options.backoff_base, options.backoff_max),
      volumes_(io, store, options.state_dir) {}

Kubelet::Impl::~Impl() {
  *alive_ = false;
  if (watch_id_) store_.unwatch(watch_id_);
  for (uint64_t id : config_watch_ids_) store_.unwatch(id);
}

void Kubelet::Impl::start() {
  volumes_.start();
  engine_.set_event_handler([this, alive = alive_](const ContainerEvent& ev) {
    if (*alive) on_engine_event(ev);
  });
  watch_id_ = store_.watch(Kind::kPod, [this, alive = alive_](const WatchEvent& ev) {
    // The store must not be mutated from inside its callback: act on the loop.
    asio::post(io_, [this, alive, ev] {
      if (*alive) on_watch(ev);
    });
  });
  for (Kind kind : {Kind::kConfigMap, Kind::kSecret}) {
    config_watch_ids_.push_back(store_.watch(kind, [this, alive = alive_](const WatchEvent& ev) {
      asio::post(io_, [this, alive, ns = config::meta(*ev.object).namespace_] {
        if (*alive) on_config_change(ns);
      });
    }));
  }
  // The table is subscribed once for the kubelet's life; publications after the kubelet
  // is gone are dropped by the alive flag.
  table_.subscribe([this, alive = alive_](const ServiceTablePtr&) {
    if (!*alive) return;
    asio::post(io_, [this, alive] {
      if (*alive) on_table();
    });
  });
  table_.watch_programmed([this, alive = alive_] {
    if (!*alive) return;
    asio::post(io_, [this, alive] {
      if (*alive) on_table();
    });
  });
  // Containers an earlier daemon left running are taken back before any pod is synced,
  // so none of them is started a second time.
  engine_.recover(
      [this, alive = alive_](Result<std::vector<engine::RecoveredContainer>> recovered) {
        if (*alive) on_recovered(std::move(recovered));
      });
}

void Kubelet::Impl::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  if (watch_id_) store_.unwatch(watch_id_);
  watch_id_ = 0;
  for (auto& [uid, w] : workers_) {
    if (w->unpublish_timer) w->unpublish_timer->cancel();
    auto grace = std::chrono::seconds(w->pod.spec.termination_grace_period_seconds);
    for (auto& c : w->containers) {
      quiesce(*c);
      if (c->run == Run::kRunning) {
        spdlog::info("kubelet: killing container {} of pod {} (shutdown, grace {}s)", c->spec.name,
                     pod_ref(*w), grace.count());
        engine_.stop_container(c->id, grace);
      }
    }
  }
  check_shutdown();
}

// ---- lookups -------------------------------------------------------------------------

Kubelet::Impl::PodWorker* Kubelet::Impl::worker(const std::string& uid) {
  auto it = workers_.find(uid);
  return it == workers_.end() || it->second->finished ? nullptr : it->second.get();
}

size_t Kubelet::Impl::index_of(const PodWorker& w, const ContainerRuntime& c) {
  for (size_t i = 0; i < w.containers.size(); ++i) {
    if (w.containers[i].get() == &c) return i;
  }
  return 0;
}

Kubelet::Kubelet(asio::io_context& io, Store& store, engine::Engine& engine,
                 const ServiceTableSource& table, KubeletOptions options)
    : impl_(std::make_unique<Impl>(io, store, engine, table, options)) {}

Kubelet::~Kubelet() = default;

void Kubelet::start() { impl_->start(); }

void Kubelet::shutdown(std::function<void()> done) { impl_->shutdown(std::move(done)); }

}  // namespace skiff::controller
