#include "dns/answerer.h"

#include "dns/dns_metrics.h"

namespace skiff::dns {

namespace {

constexpr uint16_t kIxfr = 251;
constexpr uint16_t kAxfr = 252;

Disposition error_reply(std::span<const uint8_t> packet, Rcode rcode, std::vector<uint8_t>& out) {
  return encode_error(packet, rcode, out) ? Disposition::kReply : Disposition::kDrop;
}

// An answer without records: REFUSED, BADVERS. Empty sections never allocate.
void reply_empty(const Query& query, Rcode rcode, std::size_t limit, std::vector<uint8_t>& out) {
  Answer a;
  a.rcode = rcode;
  encode_response(query, a, limit, out);
}

}  // namespace

Disposition Answerer::respond(std::span<const uint8_t> packet, bool allowed, Transport transport,
                              const Zone& zone, Query& query, std::vector<uint8_t>& out) const {
  Decision r = decide(packet, allowed, transport, zone, query, out);
  if (DnsMetrics* m = options_.metrics; m && r.disposition != Disposition::kDrop) {
    // A query that did not parse is counted under "other": it has no type to speak of.
    m->request(transport == Transport::kTcp, r.parsed ? query.question.type : 0);
    if (r.disposition == Disposition::kReply) {
      m->response(r.rcode ? *r.rcode : static_cast<uint16_t>(out[3] & 0x0F));
    }
  }
  return r.disposition;
}

Answerer::Decision Answerer::decide(std::span<const uint8_t> packet, bool allowed,
                                    Transport transport, const Zone& zone, Query& query,
                                    std::vector<uint8_t>& out) const {
  out.clear();
  const ParseError e = parse_query(packet, query);
  if (e == ParseError::kNotQuery) return {Disposition::kDrop};
  if (e != ParseError::kNone) return {error_reply(packet, Rcode::kFormErr, out), false};
  const std::size_t limit = transport == Transport::kTcp ? kMaxMessage : udp_limit(query);
  if (!allowed) {
    reply_empty(query, Rcode::kRefused, limit, out);
    return {Disposition::kReply};
  }
  if (query.opcode() != 0) return {error_reply(packet, Rcode::kNotImp, out)};
  if (query.edns && query.edns_version != 0) {
    reply_empty(query, Rcode::kBadVers, limit, out);
    return {Disposition::kReply, true, static_cast<uint16_t>(Rcode::kBadVers)};
  }
  // Zone transfers are not offered: the zone is a view of live state, not a file.
  if (query.question.type == kAxfr || query.question.type == kIxfr) {
    reply_empty(query, Rcode::kRefused, limit, out);
    return {Disposition::kReply};
  }
  // With a forwarder behind it the server does offer recursion, for every name.
  if (zone.respond(query, limit, options_.forward, out)) return {Disposition::kReply};
  if (options_.forward) return {Disposition::kForward};
  reply_empty(query, Rcode::kRefused, limit, out);
  return {Disposition::kReply};
}

}  // namespace skiff::dns
