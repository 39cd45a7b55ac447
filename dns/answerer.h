// Answerer: turns one query packet into one response packet, the transport-independent part of
// the responder. Pure apart from counting metrics (the zone of the current snapshot is passed
// in), so every rcode path is unit-tested without sockets; the responder's I/O only moves bytes.
// On the zone path it does not allocate once `query` and `out` have grown to their working size.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dns/codec.h"
#include "dns/zone.h"

namespace skiff::dns {

class DnsMetrics;

enum class Disposition {
  kReply,    // send `out`
  kDrop,     // send nothing: not a DNS query (too short, or a response)
  kForward,  // the name is not ours and forwarding is on: hand the query upstream
};

enum class Transport { kUdp, kTcp };

struct AnswererOptions {
  bool forward = false;           // names outside the zone: kForward when true, else REFUSED
  DnsMetrics* metrics = nullptr;  // counts requests and the responses decided here
};

class Answerer {
 public:
  explicit Answerer(AnswererOptions options) : options_(options) {}

  // `allowed` is whether the client passed the CIDR filter. `query` and `out` are caller-owned
  // scratch reused between calls; after kForward `query` holds the parsed query.
  Disposition respond(std::span<const uint8_t> packet, bool allowed, Transport transport,
                      const Zone& zone, Query& query, std::vector<uint8_t>& out) const;

 private:
  struct Decision {
    Decision(Disposition d, bool p = true, std::optional<uint16_t> r = std::nullopt)
        : disposition(d), parsed(p), rcode(r) {}
    Disposition disposition;
    bool parsed;                    // false: FORMERR, the query has no type to count
    std::optional<uint16_t> rcode;  // when the header's 4 bits do not tell it (BADVERS)
  };
  Decision decide(std::span<const uint8_t> packet, bool allowed, Transport transport,
                  const Zone& zone, Query& query, std::vector<uint8_t>& out) const;

  AnswererOptions options_;
};

}  // namespace skiff::dns
