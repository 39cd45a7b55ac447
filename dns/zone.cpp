#include "dns/zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>

namespace skiff::dns {

namespace {

using controller::ServiceTable;
using controller::ServiceView;

constexpr std::size_t kOptSize = 11;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// The wire form of a presentation name, or "" if it cannot be one.
std::string wire_of(std::string_view presentation) {
  std::string out;
  if (!name_to_wire(presentation, out)) out.clear();
  return out;
}

// `label` as the first label of `parent` (wire form), or "" if the label or the name is too long
// or empty. The label is taken as is: it may not contain dots, so it must be a single label.
std::string prepend(std::string_view label, const std::string& parent) {
  if (parent.empty() || label.empty() || label.size() > kMaxLabel ||
      label.find('.') != std::string_view::npos ||
      1 + label.size() + parent.size() > kMaxNameWire) {
    return {};
  }
  std::string out;
  out.reserve(1 + label.size() + parent.size());
  out.push_back(static_cast<char>(label.size()));
  out.append(lowercase(label));
  out.append(parent);
  return out;
}

// The endpoint's DNS label: its hostname, else its address with dots or colons as dashes (an
// IPv6 address ending in "::" gets a trailing 0 so the label does not end with a dash, as
// CoreDNS does).
std::string endpoint_label(const std::string& hostname, const std::string& ip) {
  if (!hostname.empty()) return lowercase(hostname);
  std::string out = ip;
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), ':', '-');
  if (!out.empty() && out.back() == '-') out.push_back('0');
  return out;
}

// The A or AAAA record for `ip`, false if it is not an address.
bool address_rr(const std::string& ip, Zone::Rr& out) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, ip.c_str(), bytes.data()) == 1) {
    out = {rrtype::kA, Zone::Rr::Kind::kRaw, std::string(bytes.begin(), bytes.begin() + 4)};
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), bytes.data()) == 1) {
    out = {rrtype::kAaaa, Zone::Rr::Kind::kRaw, std::string(bytes.begin(), bytes.end())};
    return true;
  }
  return false;
}

// The reverse name (in-addr.arpa or ip6.arpa, wire form) of `ip`, or "" if it is not an address.
std::string reverse_wire(const std::string& ip) {
  std::array<uint8_t, 16> b{};
  std::string out;
  if (inet_pton(AF_INET, ip.c_str(), b.data()) == 1) {
    for (int i = 3; i >= 0; --i) {
      const std::string label = std::to_string(b[static_cast<std::size_t>(i)]);
      out.push_back(static_cast<char>(label.size()));
      out.append(label);
    }
    out.append("\7in-addr\4arpa", 13);
  } else if (inet_pton(AF_INET6, ip.c_str(), b.data()) == 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; --i) {
      out.append({'\1', kHex[b[static_cast<std::size_t>(i)] & 0xF]});
      out.append({'\1', kHex[b[static_cast<std::size_t>(i)] >> 4]});
    }
    out.append("\3ip6\4arpa", 9);
  } else {
    return {};
  }
  out.push_back('\0');
  return out;
}

bool wants(uint16_t qtype, uint16_t type) { return qtype == type || qtype == rrtype::kAny; }

Zone::Rr srv_rr(uint16_t weight, uint16_t port, const std::string& target_wire) {
  std::string data = {0,
                      0,
                      static_cast<char>(weight >> 8),
                      static_cast<char>(weight),
                      static_cast<char>(port >> 8),
                      static_cast<char>(port)};
  data += target_wire;
  return {rrtype::kSrv, Zone::Rr::Kind::kSrv, std::move(data)};
}

}  // namespace

Zone::Zone(const ZoneOptions& options, const ServiceTable& table)
    : zone_(lowercase(options.zone)),
      ttl_(options.ttl),
      pod_records_(options.pod_records),
      version_(table.version) {
  while (!zone_.empty() && zone_.back() == '.') zone_.pop_back();
  zone_wire_ = wire_of(zone_);
  if (zone_wire_.empty()) zone_wire_.assign(1, '\0');  // the responder rejects such zones first
  const std::string suffix = zone_.empty() ? "" : "." + zone_;
  soa_mname_wire_ = wire_of("ns.dns" + suffix);
  soa_rname_wire_ = wire_of("hostmaster" + suffix);
  names_.reserve(table.services.size() * 4 + 8);
  node(zone_wire_).apex = true;
  node(prepend("svc", zone_wire_));
  if (pod_records_) node(prepend("pod", zone_wire_));
  node(prepend("dns-version", zone_wire_))
      .rrs.push_back({rrtype::kTxt, Rr::Kind::kRaw, std::string("\5") + kSchemaVersion});
  for (const ServiceView& s : table.services) add_service(s);
}

Zone::Node& Zone::node(const std::string& wire) {
  // Every ancestor between the name and the zone exists too (an empty non-terminal answers
  // NODATA, not NXDOMAIN: RFC 8020).
  for (std::size_t at = 0; at < wire.size() && wire.size() - at > zone_wire_.size();
       at += 1 + static_cast<uint8_t>(wire[at])) {
    if (at > 0) names_.try_emplace(wire.substr(at));
  }
  return names_[wire];
}

void Zone::add_ptr(const std::string& ip, const std::string& target_wire) {
  const std::string reverse = reverse_wire(ip);
  if (reverse.empty() || target_wire.empty()) return;
  names_[reverse].rrs.push_back({rrtype::kPtr, Rr::Kind::kName, target_wire});
}

void Zone::add_service(const ServiceView& s) {
  const std::string ns_wire = prepend(s.ns, prepend("svc", zone_wire_));
  const std::string svc_wire = prepend(s.name, ns_wire);
  if (svc_wire.empty()) return;
  node(ns_wire);
  if (s.type == "ExternalName") {
    Node& n = node(svc_wire);
    std::string target = s.external_name;
    while (!target.empty() && target.back() == '.') target.pop_back();
    std::string target_wire = wire_of(target);
    if (!target.empty() && !target_wire.empty()) {
      n.cname = true;
      n.rrs.push_back({rrtype::kCname, Rr::Kind::kName, std::move(target_wire)});
    }
    return;
  }
  Rr rr;
  // A headless Service without ready endpoints does not exist in DNS (NXDOMAIN).
  if (!s.headless || !s.ready_addresses.empty()) {
    Node& n = node(svc_wire);
    if (!s.headless && address_rr(s.cluster_ip, rr)) {
      n.rrs.push_back(rr);
      add_ptr(s.cluster_ip, svc_wire);
    }
    if (s.headless) {
      for (const auto& addr : s.ready_addresses) {
        if (address_rr(addr.ip, rr)) n.rrs.push_back(rr);
      }
    }
  }
  for (const auto& addr : s.ready_addresses) {
    const std::string host_wire = prepend(endpoint_label(addr.hostname, addr.ip), svc_wire);
    if (host_wire.empty() || !address_rr(addr.ip, rr)) continue;
    node(host_wire).rrs.push_back(rr);
    add_ptr(addr.ip, host_wire);
  }
  for (const auto& port : s.ports) {
    if (port.name.empty()) continue;
    const std::string srv_wire =
        prepend("_" + port.name, prepend("_" + lowercase(port.protocol), svc_wire));
    if (srv_wire.empty()) continue;
    if (!s.headless) {
      Node& n = node(srv_wire);
      n.rrs.push_back(srv_rr(100, port.port, svc_wire));
      if (address_rr(s.cluster_ip, rr)) n.additional.push_back({svc_wire, rr});
      continue;
    }
    if (port.endpoints.empty()) continue;  // NXDOMAIN, as the Service name itself
    Node& n = node(srv_wire);
    // Equal weights summing to about 100, as CoreDNS does, so clients spread evenly.
    const auto weight =
        static_cast<uint16_t>(std::max<std::size_t>(1, 100 / port.endpoints.size()));
    std::set<std::pair<std::string, std::string>> added;
    for (const auto& ep : port.endpoints) {
      const std::string target = prepend(endpoint_label(ep.hostname, ep.ip), svc_wire);
      if (target.empty()) continue;
      n.rrs.push_back(srv_rr(weight, ep.port, target));
      if (added.emplace(target, ep.ip).second && address_rr(ep.ip, rr)) {
        n.additional.push_back({target, rr});
      }
    }
  }
}

Zone::Found Zone::find(const Query& query) const {
  const uint16_t klass = query.question.klass;
  if (klass != kClassIn && klass != rrtype::kAny) return {};
  const std::string& asked = query.qname_wire;
  if (asked.empty() || asked.size() > kMaxNameWire) return {};
  // Lowercased into the stack: length octets are at most 63, so they are never letters.
  std::array<char, kMaxNameWire> buffer;
  std::transform(asked.begin(), asked.end(), buffer.begin(), lower);
  const std::string_view name(buffer.data(), asked.size());
  if (const auto it = names_.find(name); it != names_.end()) return {Kind::kNode, &it->second};

  // Not indexed: in the zone it is missing, or a pod name; elsewhere not ours.
  if (name.size() < zone_wire_.size() || !name.ends_with(zone_wire_)) return {};
  const std::size_t zone_at = name.size() - zone_wire_.size();
  std::array<std::size_t, 4> starts{};  // the first labels' offsets
  std::size_t labels = 0;
  std::size_t at = 0;
  while (at < zone_at) {
    if (labels < starts.size()) starts[labels] = at;
    ++labels;
    at += 1 + static_cast<uint8_t>(name[at]);
  }
  if (at != zone_at) return {};  // the zone's name ends another label: not ours
  constexpr std::string_view kPod("\3pod", 4);
  if (pod_records_ && labels == 3 && name.substr(starts[2], kPod.size()) == kPod) {
    return find_pod(name.substr(1, static_cast<uint8_t>(name[0])), query.question.type);
  }
  if (pod_records_ && labels == 2 && name.substr(starts[1], kPod.size()) == kPod) {
    return {Kind::kNoData};  // <ns>.pod.<zone>: every namespace may hold pods
  }
  return {Kind::kNxDomain};
}

Zone::Found Zone::find_pod(std::string_view label, uint16_t qtype) const {
  Found f{Kind::kPod};
  std::array<char, kMaxLabel + 1> text{};
  std::copy(label.begin(), label.end(), text.begin());
  std::replace(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(label.size()), '-', '.');
  if (inet_pton(AF_INET, text.data(), f.pod_addr.data()) == 1) {
    f.pod_type = rrtype::kA;
  } else {
    std::replace(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(label.size()), '.', ':');
    if (inet_pton(AF_INET6, text.data(), f.pod_addr.data()) != 1) return {Kind::kNxDomain};
    f.pod_type = rrtype::kAaaa;
  }
  if (!wants(qtype, f.pod_type)) f.kind = Kind::kNoData;
  return f;
}

void Zone::write_soa(WireWriter& w, bool owner_is_question) const {
  if (owner_is_question) {
    w.u16(0xC000 | kHeaderSize);
  } else {
    w.name(zone_wire_, true);
  }
  w.u16(rrtype::kSoa);
  w.u16(kClassIn);
  w.u32(ttl_);
  const std::size_t len_at = w.size();
  w.u16(0);
  w.name(soa_mname_wire_, true);
  w.name(soa_rname_wire_, true);
  w.u32(static_cast<uint32_t>(version_));  // serial: the snapshot it was built from
  w.u32(7200);                             // refresh
  w.u32(1800);                             // retry
  w.u32(86400);                            // expire
  w.u32(ttl_);  // minimum: how long resolvers cache a negative answer (RFC 2308)
  w.put16(len_at, static_cast<uint16_t>(w.size() - len_at - 2));
}

bool Zone::respond(const Query& query, std::size_t limit, bool recursion_available,
                   std::vector<uint8_t>& out) const {
  out.clear();
  const Found f = find(query);
  if (f.kind == Kind::kNotOurs) return false;
  limit = std::min(limit, kMaxMessage);
  const Rcode rcode = f.kind == Kind::kNxDomain ? Rcode::kNxDomain : Rcode::kNoError;
  uint16_t flags = flag::kQr | flag::kAa | (query.flags & (0x7800 | flag::kRd | flag::kCd)) |
                   static_cast<uint16_t>(rcode);
  if (recursion_available) flags |= flag::kRa;

  WireWriter w(out);
  w.u16(query.id);
  w.u16(flags);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  w.bytes(query.qname_wire);  // echoed as asked; answers point at it
  w.remember_name_at(kHeaderSize);
  w.u16(query.question.type);
  w.u16(query.question.klass);

  const std::size_t reserve = query.edns ? kOptSize : 0;
  const uint16_t qtype = query.question.type;
  std::array<uint16_t, 3> counts{};
  bool truncated = false;
  // Writes one record into `section` (0 answer, 1 authority, 2 additional) unless it does not
  // fit; then it is taken back and, in the answer or authority section, TC is set.
  auto put = [&](int section, auto&& write) {
    if (truncated) return false;
    const std::size_t size_mark = w.size();
    const std::size_t names_mark = w.mark_names();
    write();
    if (w.size() + reserve <= limit && counts[section] < 0xFFFF) {
      ++counts[section];
      return true;
    }
    w.rollback(size_mark, names_mark);
    if (section < 2) truncated = true;
    return false;
  };
  auto write_rr = [&](const Rr& rr) {
    w.u16(rr.type);
    w.u16(kClassIn);
    w.u32(ttl_);
    const std::size_t len_at = w.size();
    w.u16(0);
    switch (rr.kind) {
      case Rr::Kind::kRaw:
        w.bytes(rr.data);
        break;
      case Rr::Kind::kName:
        w.name(rr.data, true);
        break;
      case Rr::Kind::kSrv:
        w.bytes(std::string_view(rr.data).substr(0, 6));
        w.name(std::string_view(rr.data).substr(6), false);
        break;
    }
    w.put16(len_at, static_cast<uint16_t>(w.size() - len_at - 2));
  };
  constexpr uint16_t kQuestionPointer = 0xC000 | kHeaderSize;

  bool srv_answered = false;
  if (f.kind == Kind::kNode) {
    const Node& n = *f.node;
    // The apex answers its SOA; the question is the zone's name, so the owner points at it.
    if (n.apex && wants(qtype, rrtype::kSoa)) put(0, [&] { write_soa(w, true); });
    for (const Rr& rr : n.rrs) {
      if (!n.cname && !wants(qtype, rr.type)) continue;
      if (!put(0, [&] {
            w.u16(kQuestionPointer);
            write_rr(rr);
          })) {
        break;
      }
      srv_answered = srv_answered || rr.type == rrtype::kSrv;
    }
  } else if (f.kind == Kind::kPod) {
    put(0, [&] {
      w.u16(kQuestionPointer);
      w.u16(f.pod_type);
      w.u16(kClassIn);
      w.u32(ttl_);
      const uint16_t len = f.pod_type == rrtype::kA ? 4 : 16;
      w.u16(len);
      w.bytes(std::string_view(reinterpret_cast<const char*>(f.pod_addr.data()), len));
    });
  }
  if (counts[0] == 0 && !truncated) put(1, [&] { write_soa(w, false); });
  if (srv_answered) {
    for (const Extra& e : f.node->additional) {
      if (!put(2, [&] {
            w.name(e.owner, true);
            write_rr(e.rr);
          })) {
        break;
      }
    }
  }
  uint16_t additional = counts[2];
  if (query.edns) {
    w.u8(0);  // root
    w.u16(rrtype::kOpt);
    w.u16(static_cast<uint16_t>(kMaxUdpLimit));
    w.u32(0);  // extended rcode 0, version 0, no DO
    w.u16(0);
    ++additional;
  }
  w.put16(6, counts[0]);
  w.put16(8, counts[1]);
  w.put16(10, additional);
  if (truncated) w.put16(2, flags | flag::kTc);
  w.finish();
  return true;
}

std::optional<Answer> Zone::lookup(const Question& question) const {
  Query q;
  q.flags = flag::kRd;
  q.question = question;
  if (!name_to_wire(question.name, q.qname_wire)) return std::nullopt;
  std::vector<uint8_t> out;
  if (!respond(q, kMaxMessage, false, out)) return std::nullopt;
  Message m;
  if (decode_message(out, m) != ParseError::kNone) return std::nullopt;
  Answer a;
  a.rcode = static_cast<Rcode>(m.rcode());
  a.authoritative = (m.flags & flag::kAa) != 0;
  a.recursion_available = (m.flags & flag::kRa) != 0;
  a.answer = std::move(m.answer);
  a.authority = std::move(m.authority);
  a.additional = std::move(m.additional);
  return a;
}

}  // namespace skiff::dns
