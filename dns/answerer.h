// Answerer: turns one query packet into one response packet, the transport-independent part of
// the responder. Pure (the snapshot is passed in), so every rcode path is unit-tested without
// sockets; the responder's I/O only moves bytes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "controller/service_table.h"
#include "dns/codec.h"
#include "dns/zone.h"

namespace skiff::dns {

enum class Disposition {
  kReply,    // send `out`
  kDrop,     // send nothing: not a DNS query (too short, or a response)
  kForward,  // the name is not ours and forwarding is on: hand the query upstream
};

enum class Transport { kUdp, kTcp };

struct AnswererOptions {
  bool forward = false;  // names outside the zone: kForward when true, else REFUSED
};

class Answerer {
 public:
  Answerer(const Zone& zone, AnswererOptions options) : zone_(zone), options_(options) {}

  // `allowed` is whether the client passed the CIDR filter. `query` and `out` are caller-owned
  // scratch reused between calls; after kForward `query` holds the parsed query.
  Disposition respond(std::span<const uint8_t> packet, bool allowed, Transport transport,
                      const controller::ServiceTable& table, Query& query,
                      std::vector<uint8_t>& out) const;

 private:
  const Zone& zone_;
  AnswererOptions options_;
};

}  // namespace skiff::dns
