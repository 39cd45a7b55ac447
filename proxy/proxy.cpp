#include "proxy/proxy.h"

#include <algorithm>
#include <mutex>

#include "proxy/apply_status.h"
#include "proxy/proxy_metrics.h"
#include "proxy/route_table.h"
#include "proxy/worker.h"

namespace skiff::proxy {

namespace {

// The source has no unsubscribe, so its subscriber may be called after the Proxy is gone. The
// subscriber therefore holds this small shared object, which stop() disconnects.
struct Inbox {
  std::mutex mutex;  // guards workers; held while posting so stop() never races a dispatch
  std::vector<std::unique_ptr<Worker>>* workers = nullptr;
};

}  // namespace

struct Proxy::Impl {
  Impl(const controller::ServiceTableSource& source, ProxyOptions options)
      : source(source),
        options(std::move(options)),
        metrics(this->options.metrics),
        compiler(defaults(this->options), this->options.node_address, metrics,
                 this->options.probe_ports),
        status(std::max(this->options.workers, 1)) {
    this->options.workers = std::max(this->options.workers, 1);
  }

  static ServiceSettings defaults(const ProxyOptions& o) {
    ServiceSettings s;
    s.connect_timeout = o.connect_timeout;
    s.idle_timeout = o.idle_timeout;
    s.udp_idle_timeout = o.udp_idle_timeout;
    s.drain_timeout = o.drain_timeout;
    s.max_connection_age = o.max_connection_age;
    s.max_connections = o.max_connections;
    return s;
  }

  const controller::ServiceTableSource& source;
  ProxyOptions options;
  ProxyMetrics metrics;
  RouteCompiler compiler;
  ApplyStatus status;
  int programmer = 0;  // our id with the source as a data plane that programs snapshots
  std::vector<std::unique_ptr<Worker>> workers;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::mutex lifecycle_mutex;  // guards started and stopped
  bool started = false;
  bool stopped = false;
};

Proxy::Proxy(const controller::ServiceTableSource& source, ProxyOptions options)
    : impl_(std::make_unique<Impl>(source, std::move(options))) {}

Proxy::~Proxy() { stop(); }

void Proxy::start() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (impl_->started) return;
  impl_->started = true;
  // The kubelet stops a terminating pod only once every worker serves a snapshot without it.
  impl_->programmer = impl_->source.add_programmer();
  impl_->status.on_applied([source = &impl_->source, id = impl_->programmer](uint64_t version) {
    source->report_programmed(id, version);
  });
  for (int i = 0; i < impl_->options.workers; ++i) {
    impl_->workers.push_back(std::make_unique<Worker>(i, impl_->options, impl_->compiler,
                                                      impl_->metrics, impl_->status));
  }
  for (auto& worker : impl_->workers) worker->start();
  {
    std::lock_guard lock(impl_->inbox->mutex);
    impl_->inbox->workers = &impl_->workers;
  }
  // Subscribe before reading current(): a publication in between is then seen either way, and
  // workers skip versions they already have.
  impl_->source.subscribe([inbox = impl_->inbox](const controller::ServiceTablePtr& table) {
    std::lock_guard lock(inbox->mutex);
    if (inbox->workers == nullptr) return;
    for (auto& worker : *inbox->workers) worker->post(table);
  });
  auto current = impl_->source.current();
  for (auto& worker : impl_->workers) worker->post(current);
}

void Proxy::stop() {
  std::lock_guard lifecycle(impl_->lifecycle_mutex);
  if (!impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard lock(impl_->inbox->mutex);
    impl_->inbox->workers = nullptr;
  }
  for (auto& worker : impl_->workers) worker->stop();
  for (auto& worker : impl_->workers) worker->join();
  impl_->source.remove_programmer(impl_->programmer);
}

std::vector<std::string> Proxy::errors() const { return impl_->status.errors(); }

std::vector<std::string> Proxy::listening() const { return impl_->status.listening(); }

bool Proxy::wait_applied(uint64_t version, std::chrono::milliseconds timeout) const {
  return impl_->status.wait_applied(version, timeout);
}

}  // namespace skiff::proxy
