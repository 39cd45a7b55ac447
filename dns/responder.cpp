#include "dns/responder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "dns/answerer.h"
#include "dns/cidr.h"
#include "dns/dns_metrics.h"
#include "dns/forward.h"
#include "dns/worker.h"
#include "dns/zone_source.h"
#include "net/port_probe.h"

namespace skiff::dns {

namespace {

// With port 0 the kernel picks a free UDP port; the same TCP port may be taken, so try again.
constexpr int kEphemeralAttempts = 16;

}  // namespace

Responder::Responder(const controller::ServiceTableSource& source, ResponderOptions options)
    : source_(source), options_(std::move(options)) {}

Responder::~Responder() { stop(); }

config::Result<std::string> Responder::start() {
  if (!workers_.empty()) return config::ApiError::conflict("DNS responder already started");
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(options_.address, ec);
  if (ec) {
    return config::ApiError::bad_request("DNS address \"" + options_.address +
                                         "\": not an IP address");
  }
  auto allowed = CidrSet::parse(options_.allowed_cidrs);
  if (!allowed) return allowed.error();
  std::string zone_wire;
  if (options_.zone.empty() || options_.zone == "." || !name_to_wire(options_.zone, zone_wire)) {
    return config::ApiError::bad_request("DNS zone \"" + options_.zone + "\": not a domain name");
  }
  if (options_.metrics) metrics_ = std::make_unique<DnsMetrics>(*options_.metrics);
  std::unique_ptr<Forwarder> forwarder;
  if (options_.forward) {
    ForwarderOptions fo;
    fo.upstreams = options_.upstreams;
    fo.timeout_ms = options_.upstream_timeout_ms;
    fo.metrics = metrics_.get();
    auto created = Forwarder::create(std::move(fo));
    if (!created) return created.error();
    forwarder = std::move(*created);
  }
  allowed_ = std::make_unique<CidrSet>(std::move(*allowed));
  zones_ = std::make_unique<ZoneSource>(
      source_, ZoneOptions{options_.zone, options_.ttl, options_.pod_records});
  answerer_ = std::make_unique<Answerer>(AnswererOptions{forwarder != nullptr, metrics_.get()});
  forwarder_ = std::move(forwarder);
  const WorkerShared shared{
      *zones_,          *answerer_,
      *allowed_,        std::chrono::milliseconds(std::max(1, options_.tcp_idle_timeout_ms)),
      forwarder_.get(), metrics_.get()};
  const int count = std::clamp(options_.workers, 1, 64);

  const std::string where = options_.address + ":" + std::to_string(options_.port);
  // The workers bind with SO_REUSEPORT; a port someone else holds must not be joined silently
  // (a second daemon would then answer half the queries from its own zone).
  if (options_.port != 0) {
    for (auto transport : {net::Transport::kUdp, net::Transport::kTcp}) {
      auto taken = net::probe_exclusive_bind(address, options_.port, transport);
      if (!taken.empty()) {
        return config::ApiError{
            500,
            "InternalError",
            "DNS on " + where + " (" + (transport == net::Transport::kUdp ? "UDP" : "TCP") +
                "): " + taken + " (another skiff daemon, or another DNS server, holds it)",
            {}};
      }
    }
  }
  auto first = std::make_unique<Worker>(shared);
  const int attempts = options_.port == 0 ? kEphemeralAttempts : 1;
  for (int i = 0; i < attempts; ++i) {
    ec = first->open(address, options_.port);
    if (!ec) break;
  }
  if (ec)
    return config::ApiError{500, "InternalError", "DNS on " + where + ": " + ec.message(), {}};
  port_ = first->port();
  std::vector<std::unique_ptr<Worker>> workers;
  workers.push_back(std::move(first));
  for (int i = 1; i < count; ++i) {
    auto w = std::make_unique<Worker>(shared);
    ec = w->open(address, port_);
    if (ec) {
      return config::ApiError{
          500,
          "InternalError",
          "DNS worker " + std::to_string(i) + " on " + where + ": " + ec.message(),
          {}};
    }
    workers.push_back(std::move(w));
  }
  workers_ = std::move(workers);
  for (auto& w : workers_) w->start();
  const std::string bound = (address.is_v6() ? "[" + options_.address + "]" : options_.address) +
                            ":" + std::to_string(port_);
  spdlog::info("dns: serving {} on {} (UDP and TCP, {} worker{})", options_.zone, bound, count,
               count == 1 ? "" : "s");
  return bound;
}

void Responder::stop() {
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  forwarder_.reset();
  workers_.clear();
}

}  // namespace skiff::dns
