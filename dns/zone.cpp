#include "dns/zone.h"

#include <arpa/inet.h>

#include <algorithm>
#include <set>
#include <vector>

namespace skiff::dns {

namespace {

using controller::ServiceTable;
using controller::ServiceView;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> split_labels(std::string_view name) {
  std::vector<std::string_view> out;
  while (!name.empty()) {
    const auto dot = name.find('.');
    out.push_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return out;
}

bool ends_with_label(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.ends_with(suffix) &&
         name[name.size() - suffix.size() - 1] == '.';
}

// The endpoint's DNS label: its hostname, else its address with dots and colons as dashes.
std::string endpoint_label(const std::string& hostname, const std::string& ip) {
  if (!hostname.empty()) return lowercase(hostname);
  std::string out = ip;
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), ':', '-');
  return out;
}

bool wants(uint16_t qtype, uint16_t type) { return qtype == type || qtype == rrtype::kAny; }

// Appends the A or AAAA record for `ip` if the question asks for that family.
void add_address(std::vector<Record>& out, const std::string& owner, const std::string& ip,
                 uint16_t qtype, uint32_t ttl) {
  std::array<uint8_t, 4> v4{};
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET, ip.c_str(), v4.data()) == 1) {
    if (wants(qtype, rrtype::kA)) out.push_back(make_a(owner, ttl, v4));
  } else if (inet_pton(AF_INET6, ip.c_str(), v6.data()) == 1) {
    if (wants(qtype, rrtype::kAaaa)) out.push_back(make_aaaa(owner, ttl, v6));
  }
}

bool namespace_has_services(const ServiceTable& table, std::string_view ns) {
  auto it = std::lower_bound(table.services.begin(), table.services.end(), ns,
                             [](const ServiceView& s, std::string_view key) { return s.ns < key; });
  return it != table.services.end() && it->ns == ns;
}

}  // namespace

struct Zone::Ctx {
  const ServiceTable& table;
  const Question& q;
};

Zone::Zone(ZoneOptions options) : options_(std::move(options)) {
  options_.zone = lowercase(options_.zone);
  while (!options_.zone.empty() && options_.zone.back() == '.') options_.zone.pop_back();
}

std::optional<Answer> Zone::lookup(const ServiceTable& table, const Question& question) const {
  Ctx c{table, question};
  std::string name = lowercase(question.name);
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (question.klass != kClassIn && question.klass != 255) return std::nullopt;
  if (name == options_.zone) return lookup_in_zone(c);
  if (ends_with_label(name, options_.zone)) {
    // The labels left of the zone decide; split_labels views into `name`, which outlives them.
    const std::string_view prefix(name.data(), name.size() - options_.zone.size() - 1);
    const auto labels = split_labels(prefix);
    const std::size_t n = labels.size();
    if (n == 1 && labels[0] == "dns-version") {
      Answer a = positive();
      if (wants(question.type, rrtype::kTxt)) {
        a.answer.push_back(make_txt(question.name, options_.ttl, {kSchemaVersion}));
        return a;
      }
      return negative(c, Rcode::kNoError);
    }
    if (labels.back() == "svc") {
      if (n == 1) return negative(c, Rcode::kNoError);
      const std::string_view ns = labels[n - 2];
      if (n == 2) {
        return negative(c, namespace_has_services(table, ns) ? Rcode::kNoError : Rcode::kNxDomain);
      }
      const ServiceView* s = table.find(ns, labels[n - 3]);
      if (!s) return negative(c, Rcode::kNxDomain);
      if (n == 3) return lookup_service(c, *s);
      if (n == 4) return lookup_endpoint(c, *s, labels[0]);
      if (n == 5 && labels[0].starts_with('_') && labels[1].starts_with('_')) {
        return lookup_srv(c, *s, labels[0].substr(1), labels[1].substr(1));
      }
      return negative(c, Rcode::kNxDomain);
    }
    if (labels.back() == "pod" && options_.pod_records) {
      if (n <= 2) return negative(c, Rcode::kNoError);
      if (n == 3) return lookup_pod(c, labels[0]);
    }
    return negative(c, Rcode::kNxDomain);
  }
  constexpr std::string_view kReverse = "in-addr.arpa";
  if (ends_with_label(name, kReverse)) {
    return lookup_reverse(c, std::string_view(name).substr(0, name.size() - kReverse.size() - 1));
  }
  return std::nullopt;
}

Answer Zone::lookup_in_zone(Ctx& c) const {
  if (!wants(c.q.type, rrtype::kSoa)) return negative(c, Rcode::kNoError);
  Answer a = positive();
  a.answer = negative(c, Rcode::kNoError).authority;
  a.answer[0].name = c.q.name;
  return a;
}

Answer Zone::lookup_service(Ctx& c, const ServiceView& s) const {
  Answer a = positive();
  if (s.type == "ExternalName") {
    if (s.external_name.empty()) return negative(c, Rcode::kNoError);
    std::string target = s.external_name;
    while (!target.empty() && target.back() == '.') target.pop_back();
    a.answer.push_back(make_name_record(c.q.name, rrtype::kCname, options_.ttl, target));
    return a;
  }
  if (s.headless) {
    if (s.ready_addresses.empty()) return negative(c, Rcode::kNxDomain);
    for (const auto& addr : s.ready_addresses) {
      add_address(a.answer, c.q.name, addr.ip, c.q.type, options_.ttl);
    }
  } else {
    add_address(a.answer, c.q.name, s.cluster_ip, c.q.type, options_.ttl);
  }
  if (a.answer.empty()) return negative(c, Rcode::kNoError);
  return a;
}

Answer Zone::lookup_endpoint(Ctx& c, const ServiceView& s, std::string_view host) const {
  bool found = false;
  Answer a = positive();
  for (const auto& addr : s.ready_addresses) {
    if (endpoint_label(addr.hostname, addr.ip) != host) continue;
    found = true;
    add_address(a.answer, c.q.name, addr.ip, c.q.type, options_.ttl);
  }
  if (!found) return negative(c, Rcode::kNxDomain);
  if (a.answer.empty()) return negative(c, Rcode::kNoError);
  return a;
}

Answer Zone::lookup_srv(Ctx& c, const ServiceView& s, std::string_view port,
                        std::string_view proto) const {
  const auto it = std::find_if(s.ports.begin(), s.ports.end(), [&](const auto& p) {
    return !p.name.empty() && lowercase(p.name) == port && lowercase(p.protocol) == proto;
  });
  if (it == s.ports.end() || s.type == "ExternalName") return negative(c, Rcode::kNxDomain);
  if (s.headless && it->endpoints.empty()) return negative(c, Rcode::kNxDomain);
  if (!wants(c.q.type, rrtype::kSrv)) return negative(c, Rcode::kNoError);
  Answer a = positive();
  const std::string svc = service_fqdn(s);
  if (!s.headless) {
    a.answer.push_back(make_srv(c.q.name, options_.ttl, 0, 100, it->port, svc));
    add_address(a.additional, svc, s.cluster_ip, rrtype::kAny, options_.ttl);
    return a;
  }
  // Equal weights summing to about 100, as CoreDNS does, so clients spread evenly.
  const auto weight = static_cast<uint16_t>(std::max<std::size_t>(1, 100 / it->endpoints.size()));
  std::set<std::string> added;
  for (const auto& ep : it->endpoints) {
    const std::string target = endpoint_label(ep.hostname, ep.ip) + "." + svc;
    a.answer.push_back(make_srv(c.q.name, options_.ttl, 0, weight, ep.port, target));
    if (added.insert(target + "/" + ep.ip).second) {
      add_address(a.additional, target, ep.ip, rrtype::kAny, options_.ttl);
    }
  }
  return a;
}

Answer Zone::lookup_pod(Ctx& c, std::string_view dashed) const {
  std::string ip(dashed);
  std::replace(ip.begin(), ip.end(), '-', '.');
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, ip.c_str(), v4.data()) != 1) return negative(c, Rcode::kNxDomain);
  if (!wants(c.q.type, rrtype::kA)) return negative(c, Rcode::kNoError);
  Answer a = positive();
  a.answer.push_back(make_a(c.q.name, options_.ttl, v4));
  return a;
}

std::optional<Answer> Zone::lookup_reverse(Ctx& c, std::string_view reversed) const {
  const auto labels = split_labels(reversed);
  if (labels.size() != 4) return std::nullopt;
  const std::string ip = std::string(labels[3]) + "." + std::string(labels[2]) + "." +
                         std::string(labels[1]) + "." + std::string(labels[0]);
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, ip.c_str(), v4.data()) != 1) return std::nullopt;
  std::vector<std::string> targets;
  for (const auto& s : c.table.services) {
    if (!s.headless && s.cluster_ip == ip) targets.push_back(service_fqdn(s));
    for (const auto& addr : s.ready_addresses) {
      if (addr.ip == ip)
        targets.push_back(endpoint_label(addr.hostname, addr.ip) + "." + service_fqdn(s));
    }
  }
  if (targets.empty()) return std::nullopt;
  if (!wants(c.q.type, rrtype::kPtr)) return negative(c, Rcode::kNoError);
  Answer a = positive();
  for (auto& t : targets) {
    a.answer.push_back(make_name_record(c.q.name, rrtype::kPtr, options_.ttl, std::move(t)));
  }
  return a;
}

Answer Zone::negative(const Ctx& c, Rcode rcode) const {
  Answer a = positive();
  a.rcode = rcode;
  SoaData soa;
  soa.mname = "ns.dns." + options_.zone;
  soa.rname = "hostmaster." + options_.zone;
  soa.serial = static_cast<uint32_t>(c.table.version);
  soa.refresh = 7200;
  soa.retry = 1800;
  soa.expire = 86400;
  soa.minimum = options_.ttl;  // RFC 2308: how long resolvers cache the negative answer
  a.authority.push_back(make_soa(options_.zone, options_.ttl, std::move(soa)));
  return a;
}

Answer Zone::positive() const {
  Answer a;
  a.authoritative = true;
  return a;
}

std::string Zone::service_fqdn(const ServiceView& s) const {
  return s.name + "." + s.ns + ".svc." + options_.zone;
}

}  // namespace skiff::dns
