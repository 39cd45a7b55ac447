#include "controller/service_table_sync.h"

#include <boost/asio/post.hpp>

#include "controller/service_table_builder.h"

namespace skiff::controller {

ServiceTableSync::ServiceTableSync(boost::asio::io_context& io, Store& store,
                                   ServiceTableSource& source,
                                   std::chrono::milliseconds min_interval)
    : io_(io), store_(store), source_(source), min_interval_(min_interval), timer_(io) {
  version_ = source_.current() ? source_.current()->version : 0;
}

ServiceTableSync::~ServiceTableSync() {
  for (auto id : watches_) store_.unwatch(id);
}

void ServiceTableSync::start() {
  for (Kind kind : {Kind::kService, Kind::kEndpoints}) {
    watches_.push_back(store_.watch(kind, [this](const WatchEvent& e) { mark(e); }));
  }
  for (const auto& s : store_.list(Kind::kService)) {
    const auto& m = config::meta(*s);
    dirty_.insert({m.namespace_, m.name});
  }
  schedule();
}

void ServiceTableSync::mark(const WatchEvent& e) {
  const auto& m = config::meta(*e.object);
  dirty_.insert({m.namespace_, m.name});
  schedule();
}

void ServiceTableSync::schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  std::weak_ptr<int> weak = alive_;
  auto due = last_sync_ + min_interval_;
  auto now = std::chrono::steady_clock::now();
  if (syncs_ == 0 || due <= now) {
    boost::asio::post(io_, [this, weak] {
      if (!weak.expired()) sync();
    });
    return;
  }
  timer_.expires_at(due);
  timer_.async_wait([this, weak](boost::system::error_code ec) {
    if (!ec && !weak.expired()) sync();
  });
}

void ServiceTableSync::sync() {
  scheduled_ = false;
  ++syncs_;
  last_sync_ = std::chrono::steady_clock::now();
  rebuild_and_publish();
  if (sync_observer_) sync_observer_(std::chrono::steady_clock::now() - last_sync_);
}

void ServiceTableSync::rebuild_and_publish() {
  std::set<ObjectKey> dirty;
  dirty.swap(dirty_);

  bool changed = !published_;
  for (const auto& key : dirty) {
    const auto* svc = as<config::Service>(store_.get(Kind::kService, key.first, key.second));
    auto it = views_.find(key);
    if (!svc) {
      if (it != views_.end()) {
        views_.erase(it);
        changed = true;
      }
      continue;
    }
    auto ep_ptr = store_.get(Kind::kEndpoints, key.first, key.second);
    auto view = build_service_view(*svc, as<config::Endpoints>(ep_ptr));
    if (it == views_.end()) {
      views_.emplace(key, std::move(view));
      changed = true;
    } else if (!same_view(it->second, view)) {
      it->second = std::move(view);
      changed = true;
    }
  }
  if (!changed) return;

  auto table = std::make_shared<ServiceTable>();
  table->version = ++version_;
  table->services.reserve(views_.size());
  for (const auto& [key, view] : views_) table->services.push_back(view);
  published_ = true;
  source_.publish(std::move(table));
}

}  // namespace skiff::controller
