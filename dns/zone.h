// The cluster zone of one ServiceTable snapshot: every name it holds, indexed once when the
// snapshot is published, answering per the Kubernetes DNS-based service discovery spec 1.1.0.
// Immutable after construction, so one Zone serves every worker thread.
//
//   <zone>                                SOA
//   <svc>.<ns>.svc.<zone>                 A/AAAA: the ClusterIP; headless: the ready endpoint
//                                         addresses (NXDOMAIN while there are none);
//                                         ExternalName: CNAME to the external name, any type
//   <host>.<svc>.<ns>.svc.<zone>          A/AAAA of the endpoint whose hostname, or else whose
//                                         address dashed (127-244-0-5, fd00--5), is <host>
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV for a named port: ClusterIP: one record targeting
//                                         the service name; headless: one per ready endpoint;
//                                         targets' addresses in the additional section
//   <a-b-c-d>.<ns>.pod.<zone>             A a.b.c.d (AAAA for dashed IPv6), any well-formed
//                                         address (CoreDNS "pods insecure"); off with
//                                         pod_records = false
//   dns-version.<zone>                    TXT "1.1.0"
//   d.c.b.a.in-addr.arpa, ….ip6.arpa      PTR for ClusterIPs and ready endpoint addresses
//
// Names are matched case-insensitively; answer records point at the question, so they carry its
// name as asked. A missing name gets NXDOMAIN, a name without the asked type (including the empty
// non-terminals between the zone and the names above) NODATA, both with the zone's SOA in the
// authority section.
//
// respond() is the hot path: it looks the name up without building strings and writes the
// response straight into the caller's buffer, so with a buffer of enough capacity it does not
// allocate.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/service_table.h"
#include "dns/codec.h"
#include "dns/wire_writer.h"

namespace skiff::dns {

struct ZoneOptions {
  std::string zone = "cluster.local";
  uint32_t ttl = 5;
  bool pod_records = true;
};

inline constexpr const char* kSchemaVersion = "1.1.0";

class Zone {
 public:
  // Indexes `table`. Services whose names cannot be DNS names (never the case for validated
  // objects) are left out.
  Zone(const ZoneOptions& options, const controller::ServiceTable& table);

  // Writes the response to `query` into `out` (cleared) when the name is ours, within `limit`
  // octets (TC set when answer or authority records do not fit). Returns false, leaving `out`
  // empty, when it is not: outside the zone, a class other than IN or ANY, or a reverse name of an
  // address no Service uses (the caller forwards or refuses). `recursion_available` sets RA.
  bool respond(const Query& query, std::size_t limit, bool recursion_available,
               std::vector<uint8_t>& out) const;

  // respond() decoded, for tests and tools: the answer for `question` or nullopt if not ours.
  std::optional<Answer> lookup(const Question& question) const;

  const std::string& name() const { return zone_; }
  uint64_t version() const { return version_; }

  // One record's type and data as written after the owner name, TTL and class.
  struct Rr {
    enum class Kind : uint8_t {
      kRaw,   // `data` is the RDATA as is (A, AAAA, TXT)
      kName,  // `data` is one wire-form name, compressed when written (CNAME, PTR)
      kSrv,   // priority, weight, port (6 octets), then the target, never compressed (RFC 2782)
    };
    uint16_t type = 0;
    Kind kind = Kind::kRaw;
    std::string data;
  };
  struct Extra {  // an additional-section record, with its own owner (wire form)
    std::string owner;
    Rr rr;
  };
  struct Node {
    std::vector<Rr> rrs;
    std::vector<Extra> additional;  // written when an SRV record is answered
    bool cname = false;             // rrs is one CNAME, answered whatever the type asked
    bool apex = false;              // the zone itself: SOA
  };

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  enum class Kind : uint8_t { kNotOurs, kNode, kNxDomain, kNoData, kPod };
  struct Found {
    Kind kind = Kind::kNotOurs;
    const Node* node = nullptr;
    uint16_t pod_type = 0;  // kPod: the synthesised record, A or AAAA
    std::array<uint8_t, 16> pod_addr{};
  };

  Found find(const Query& query) const;
  Found find_pod(std::string_view address_label, uint16_t qtype) const;
  Node& node(const std::string& wire);  // creates it and its ancestors down to the zone
  void add_service(const controller::ServiceView& s);
  void add_ptr(const std::string& ip, const std::string& target_wire);
  void write_soa(WireWriter& w, bool owner_is_question) const;

  std::string zone_;       // lowercase, no trailing dot
  std::string zone_wire_;  // lowercase wire form
  uint32_t ttl_ = 5;
  bool pod_records_ = true;
  uint64_t version_ = 0;
  std::string soa_mname_wire_;
  std::string soa_rname_wire_;
  std::unordered_map<std::string, Node, Hash, std::equal_to<>> names_;  // lowercase wire names
};

}  // namespace skiff::dns
