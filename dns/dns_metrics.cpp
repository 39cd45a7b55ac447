#include "dns/dns_metrics.h"

#include "dns/codec.h"

namespace skiff::dns {

namespace {

// CoreDNS's buckets: 0.25 ms doubling to about 8 s.
std::vector<double> dns_buckets() { return metrics::exponential_buckets(0.00025, 2, 16); }

struct TypeName {
  uint16_t type;
  const char* name;
};

// The types given their own label value; CoreDNS's monitored set plus HTTPS.
constexpr std::array<TypeName, 19> kTypes = {{
    {rrtype::kA, "A"},
    {rrtype::kAaaa, "AAAA"},
    {rrtype::kSrv, "SRV"},
    {rrtype::kPtr, "PTR"},
    {rrtype::kTxt, "TXT"},
    {rrtype::kCname, "CNAME"},
    {rrtype::kSoa, "SOA"},
    {rrtype::kNs, "NS"},
    {rrtype::kMx, "MX"},
    {13, "HINFO"},
    {43, "DS"},
    {46, "RRSIG"},
    {47, "NSEC"},
    {48, "DNSKEY"},
    {50, "NSEC3"},
    {65, "HTTPS"},
    {251, "IXFR"},
    {252, "AXFR"},
    {rrtype::kAny, "ANY"},
}};

constexpr std::array<const char*, 24> kRcodes = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14",  "RCODE15",
    "BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
};

constexpr std::array<const char*, 4> kForwardErrors = {"timeout", "refused", "malformed", "other"};

}  // namespace

DnsMetrics::DnsMetrics(metrics::Registry& registry)
    : requests_(
          registry.counter("skiff_dns_requests_total", "DNS queries received.", {"proto", "type"})),
      responses_(registry.counter("skiff_dns_responses_total", "DNS responses sent, by rcode.",
                                  {"rcode"})),
      duration_(registry
                    .histogram("skiff_dns_request_duration_seconds",
                               "Time from receiving a DNS query to its response, forwarded "
                               "queries included.",
                               {}, dns_buckets())
                    .with({})),
      cache_hit_success_(registry
                             .counter("skiff_dns_cache_hits_total",
                                      "Forwarded names answered from the cache.", {"type"})
                             .with({"success"})),
      cache_hit_denial_(registry
                            .counter("skiff_dns_cache_hits_total",
                                     "Forwarded names answered from the cache.", {"type"})
                            .with({"denial"})),
      cache_misses_(registry
                        .counter("skiff_dns_cache_misses_total",
                                 "Forwarded names not in the cache, asked upstream.")
                        .with({})),
      cache_entries_(
          registry.gauge("skiff_dns_cache_entries", "Answers held by the forwarder cache.")
              .with({})),
      forward_requests_(
          registry.counter("skiff_dns_forward_requests_total", "DNS queries sent upstream.")
              .with({})),
      forward_responses_(registry.counter("skiff_dns_forward_responses_total",
                                          "Upstream DNS answers, by rcode.", {"rcode"})),
      forward_errors_(registry.counter("skiff_dns_forward_errors_total",
                                       "Upstream queries without a usable answer, by reason.",
                                       {"reason"})),
      forward_duration_(registry
                            .histogram("skiff_dns_forward_request_duration_seconds",
                                       "Upstream round trip of forwarded DNS queries.", {},
                                       dns_buckets())
                            .with({})) {}

const char* DnsMetrics::type_name(uint16_t qtype) {
  const std::size_t slot = type_slot(qtype);
  return slot < kTypes.size() ? kTypes[slot].name : "other";
}

std::string DnsMetrics::rcode_name(uint16_t rcode) {
  return rcode < kRcodes.size() ? kRcodes[rcode] : "RCODE" + std::to_string(rcode);
}

std::size_t DnsMetrics::type_slot(uint16_t qtype) {
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    if (kTypes[i].type == qtype) return i;
  }
  return kTypes.size();
}

metrics::Counter& DnsMetrics::child(std::atomic<metrics::Counter*>& slot,
                                    metrics::CounterFamily& family,
                                    const std::vector<std::string>& labels) {
  metrics::Counter* c = slot.load(std::memory_order_acquire);
  if (c) return *c;
  // First use of this label combination: the family hands out the same child to every thread,
  // so a race between two first uses stores the same pointer twice.
  c = &family.with(labels);
  slot.store(c, std::memory_order_release);
  return *c;
}

void DnsMetrics::request(bool tcp, uint16_t qtype) {
  const std::size_t slot = type_slot(qtype);
  auto& s = request_slots_[tcp ? 1 : 0][slot];
  metrics::Counter* c = s.load(std::memory_order_acquire);
  if (!c) c = &child(s, requests_, {tcp ? "tcp" : "udp", type_name(qtype)});
  c->inc();
}

void DnsMetrics::response(uint16_t rcode) {
  auto& s = response_slots_[std::min<std::size_t>(rcode, kRcodeSlots)];
  metrics::Counter* c = s.load(std::memory_order_acquire);
  if (!c) {
    c = &child(s, responses_, {rcode < kRcodeSlots ? rcode_name(rcode) : std::string("other")});
  }
  c->inc();
}

void DnsMetrics::forward_response(uint16_t rcode, Duration d) {
  forward_duration_.observe(seconds(d));
  auto& s = forward_response_slots_[std::min<std::size_t>(rcode, kRcodeSlots)];
  metrics::Counter* c = s.load(std::memory_order_acquire);
  if (!c) {
    c = &child(s, forward_responses_,
               {rcode < kRcodeSlots ? rcode_name(rcode) : std::string("other")});
  }
  c->inc();
}

void DnsMetrics::forward_error(ForwardError reason, Duration d) {
  forward_duration_.observe(seconds(d));
  const auto i = static_cast<std::size_t>(reason);
  child(forward_error_slots_[i], forward_errors_, {kForwardErrors[i]}).inc();
}

}  // namespace skiff::dns
