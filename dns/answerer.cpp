#include "dns/answerer.h"

namespace skiff::dns {

namespace {

constexpr uint16_t kIxfr = 251;
constexpr uint16_t kAxfr = 252;

Disposition error_reply(std::span<const uint8_t> packet, Rcode rcode, std::vector<uint8_t>& out) {
  return encode_error(packet, rcode, out) ? Disposition::kReply : Disposition::kDrop;
}

}  // namespace

Disposition Answerer::respond(std::span<const uint8_t> packet, bool allowed, Transport transport,
                              const controller::ServiceTable& table, Query& query,
                              std::vector<uint8_t>& out) const {
  out.clear();
  const ParseError e = parse_query(packet, query);
  if (e == ParseError::kNotQuery) return Disposition::kDrop;
  if (e != ParseError::kNone) return error_reply(packet, Rcode::kFormErr, out);
  const std::size_t limit = transport == Transport::kTcp ? kMaxMessage : udp_limit(query);
  Answer refused;
  refused.rcode = Rcode::kRefused;
  if (!allowed) {
    encode_response(query, refused, limit, out);
    return Disposition::kReply;
  }
  if (query.opcode() != 0) return error_reply(packet, Rcode::kNotImp, out);
  if (query.edns && query.edns_version != 0) {
    Answer badvers;
    badvers.rcode = Rcode::kBadVers;
    encode_response(query, badvers, limit, out);
    return Disposition::kReply;
  }
  // Zone transfers are not offered: the zone is a view of live state, not a file.
  if (query.question.type == kAxfr || query.question.type == kIxfr) {
    encode_response(query, refused, limit, out);
    return Disposition::kReply;
  }
  auto answer = zone_.lookup(table, query.question);
  if (!answer) {
    if (options_.forward) return Disposition::kForward;
    encode_response(query, refused, limit, out);
    return Disposition::kReply;
  }
  // With a forwarder behind it the server does offer recursion, for every name.
  answer->recursion_available = options_.forward;
  encode_response(query, *answer, limit, out);
  return Disposition::kReply;
}

}  // namespace skiff::dns
