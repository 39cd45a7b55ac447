// DnsMetrics: the responder's Prometheus families, named as CoreDNS names its own with the skiff
// prefix (coredns_dns_requests_total → skiff_dns_requests_total, …). Every update is lock-free
// and allocation-free once a label combination has been seen: children are looked up in the
// family once (the only locked step) and kept in fixed slots indexed by type or rcode.
//
//   skiff_dns_requests_total{proto,type}       queries received ("udp"/"tcp"; "A", "SRV", …,
//                                              "other" for types outside the common set)
//   skiff_dns_responses_total{rcode}           responses sent ("NOERROR", "NXDOMAIN", …)
//   skiff_dns_request_duration_seconds         from receipt to response, forwarded ones included
//   skiff_dns_cache_hits_total{type}           forwarder cache: "success" or "denial" (negative)
//   skiff_dns_cache_misses_total
//   skiff_dns_cache_entries                    answers held
//   skiff_dns_forward_requests_total           queries sent upstream
//   skiff_dns_forward_responses_total{rcode}   upstream answers by rcode
//   skiff_dns_forward_errors_total{reason}     no usable answer: "timeout", "refused", "malformed",
//                                              "other"
//   skiff_dns_forward_request_duration_seconds upstream round trip, c-ares retries included
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "metrics/registry.h"

namespace skiff::dns {

class DnsMetrics {
 public:
  using Duration = std::chrono::steady_clock::duration;

  // Registers the families (or finds them, when another responder registered them first).
  explicit DnsMetrics(metrics::Registry& registry);

  void request(bool tcp, uint16_t qtype);
  void response(uint16_t rcode);
  void duration(Duration d) { duration_.observe(seconds(d)); }

  void cache_hit(bool negative) { (negative ? cache_hit_denial_ : cache_hit_success_).inc(); }
  void cache_miss() { cache_misses_.inc(); }
  void cache_entries(std::size_t n) { cache_entries_.set(static_cast<double>(n)); }

  enum class ForwardError { kTimeout, kRefused, kMalformed, kOther };
  void forward_request() { forward_requests_.inc(); }
  void forward_response(uint16_t rcode, Duration d);
  void forward_error(ForwardError reason, Duration d);

  // The label value of a query type and of an rcode, as the families use them.
  static const char* type_name(uint16_t qtype);
  static std::string rcode_name(uint16_t rcode);

 private:
  static constexpr std::size_t kTypeSlots = 20;   // the common types, then "other"
  static constexpr std::size_t kRcodeSlots = 24;  // 0..23, beyond that one shared slot

  static double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
  static std::size_t type_slot(uint16_t qtype);
  static metrics::Counter& child(std::atomic<metrics::Counter*>& slot,
                                 metrics::CounterFamily& family,
                                 const std::vector<std::string>& labels);

  metrics::CounterFamily& requests_;
  metrics::CounterFamily& responses_;
  metrics::Histogram& duration_;
  metrics::Counter& cache_hit_success_;
  metrics::Counter& cache_hit_denial_;
  metrics::Counter& cache_misses_;
  metrics::Gauge& cache_entries_;
  metrics::Counter& forward_requests_;
  metrics::CounterFamily& forward_responses_;
  metrics::CounterFamily& forward_errors_;
  metrics::Histogram& forward_duration_;

  std::array<std::array<std::atomic<metrics::Counter*>, kTypeSlots>, 2> request_slots_{};
  std::array<std::atomic<metrics::Counter*>, kRcodeSlots + 1> response_slots_{};
  std::array<std::atomic<metrics::Counter*>, kRcodeSlots + 1> forward_response_slots_{};
  std::array<std::atomic<metrics::Counter*>, 4> forward_error_slots_{};
};

}  // namespace skiff::dns
