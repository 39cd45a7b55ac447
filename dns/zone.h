// The cluster zone: answers for names under `<zone>` (default cluster.local) and for reverse
// names of cluster addresses, computed from one ServiceTable snapshot following the Kubernetes
// DNS-based service discovery spec 1.1.0. Pure: no I/O, no state beyond its options, so one Zone
// serves every worker thread.
//
//   <svc>.<ns>.svc.<zone>                 A/AAAA: the ClusterIP; headless: the ready endpoint
//                                         addresses (NXDOMAIN while there are none);
//                                         ExternalName: CNAME to the external name
//   <host>.<svc>.<ns>.svc.<zone>          A/AAAA of the endpoint whose hostname, or else whose
//                                         address dashed (127-244-0-5), is <host>
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV for a named port: ClusterIP: one record targeting
//                                         the service name; headless: one per ready endpoint;
//                                         targets' addresses in the additional section
//   <a-b-c-d>.<ns>.pod.<zone>             A a.b.c.d, for any well-formed address (CoreDNS
//                                         "pods insecure"); off with pod_records = false
//   dns-version.<zone>                    TXT "1.1.0"
//   d.c.b.a.in-addr.arpa                  PTR for ClusterIPs and ready endpoint addresses
//
// Names are matched case-insensitively; answer records carry the question's name as asked.
// Missing names get NXDOMAIN, names without the asked type NODATA, both with the zone's SOA in
// the authority section.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "controller/service_table.h"
#include "dns/codec.h"

namespace skiff::dns {

struct ZoneOptions {
  std::string zone = "cluster.local";
  uint32_t ttl = 5;
  bool pod_records = true;
};

inline constexpr const char* kSchemaVersion = "1.1.0";

class Zone {
 public:
  explicit Zone(ZoneOptions options);

  // The answer for `question` from `table`, or nullopt when the name is not ours: outside the
  // zone, or a reverse name of an address that no Service uses (the caller forwards or refuses).
  std::optional<Answer> lookup(const controller::ServiceTable& table,
                               const Question& question) const;

  const std::string& name() const { return options_.zone; }

 private:
  struct Ctx;
  Answer lookup_in_zone(Ctx& c) const;
  Answer lookup_service(Ctx& c, const controller::ServiceView& s) const;
  Answer lookup_endpoint(Ctx& c, const controller::ServiceView& s, std::string_view host) const;
  Answer lookup_srv(Ctx& c, const controller::ServiceView& s, std::string_view port,
                    std::string_view proto) const;
  Answer lookup_pod(Ctx& c, std::string_view dashed) const;
  std::optional<Answer> lookup_reverse(Ctx& c, std::string_view reversed) const;

  Answer negative(const Ctx& c, Rcode rcode) const;
  Answer positive() const;
  std::string service_fqdn(const controller::ServiceView& s) const;

  ZoneOptions options_;  // zone stored lowercase without a trailing dot
};

}  // namespace skiff::dns
