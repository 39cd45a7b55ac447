// The DNS wire codec (RFC 1035, EDNS0 per RFC 6891): parses queries and whole messages and builds
// responses with name compression. Pure: no I/O. Every read is bounds-checked, so a malformed
// packet yields a ParseError and never a read past the buffer; hostile name compression (loops,
// pointers forward or beyond the packet) is rejected rather than followed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace skiff::dns {

namespace rrtype {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kOpt = 41;
inline constexpr uint16_t kAny = 255;
}  // namespace rrtype

inline constexpr uint16_t kClassIn = 1;

// Response codes. Values above 15 travel partly in the OPT record (RFC 6891 6.1.3).
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

enum class ParseError {
  kNone = 0,
  kTruncated,          // a field or section runs past the end of the packet
  kBadLabelType,       // label type bits 01 or 10 (obsolete/extended labels)
  kLabelTooLong,       // a label over 63 octets
  kNameTooLong,        // a name over 255 octets in wire form
  kPointerLoop,        // a compression pointer not strictly backwards (would loop)
  kPointerOutOfRange,  // a compression pointer beyond the packet
  kNotQuery,           // QR bit set: a response, never answered (prevents reflection loops)
  kBadQuestionCount,   // QDCOUNT other than 1
  kBadOpt,             // OPT not at the root, repeated, or outside the additional section
  kTrailingData,       // bytes after the last counted record: the counts lie
  kBadRdata,           // RDATA inconsistent with its type or its RDLENGTH
};

const char* to_string(ParseError error);

// Header flag bits (the 16-bit word after the ID).
namespace flag {
inline constexpr uint16_t kQr = 0x8000;
inline constexpr uint16_t kAa = 0x0400;
inline constexpr uint16_t kTc = 0x0200;
inline constexpr uint16_t kRd = 0x0100;
inline constexpr uint16_t kRa = 0x0080;
inline constexpr uint16_t kCd = 0x0010;
}  // namespace flag

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kMaxNameWire = 255;
inline constexpr std::size_t kMaxLabel = 63;
inline constexpr std::size_t kClassicUdpLimit = 512;
inline constexpr std::size_t kMaxUdpLimit = 4096;
inline constexpr std::size_t kMaxMessage = 65535;

struct Question {
  // Presentation form without the trailing dot ("" is the root), case as asked. Octets that are
  // not printable, '.' and '\' inside a label are escaped (\DDD, \., \\) so that the text splits
  // at dots into the real labels.
  std::string name;
  uint16_t type = 0;
  uint16_t klass = 0;
};

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // as received; the response echoes opcode, RD and CD
  Question question;
  std::string qname_wire;  // the question name uncompressed in wire form, echoed byte for byte
  bool edns = false;
  uint16_t edns_udp_size = 0;  // the client's advertised payload size (OPT class)
  uint8_t edns_version = 0;
  bool dnssec_ok = false;

  uint8_t opcode() const { return static_cast<uint8_t>((flags >> 11) & 0xF); }
  bool recursion_desired() const { return (flags & flag::kRd) != 0; }
};

// Parses a query into `out`, reusing its strings' storage. On error `out` is partly filled.
// Opcode is not checked here: the caller answers NOTIMP for opcodes other than QUERY.
ParseError parse_query(std::span<const uint8_t> packet, Query& out);

// The largest response a UDP client accepts: 512 without EDNS, else its advertised size within
// [512, 4096].
std::size_t udp_limit(const Query& query);

// Record data. Names are in presentation form without the trailing dot.
struct AData {
  std::array<uint8_t, 4> addr{};
};
struct AaaaData {
  std::array<uint8_t, 16> addr{};
};
struct NameData {  // CNAME, PTR, NS
  std::string target;
};
struct SrvData {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;
};
struct MxData {  // decoded so that a forwarded MX is re-encoded without stale pointers
  uint16_t preference = 0;
  std::string exchange;
};
struct TxtData {
  std::vector<std::string> strings;  // each at most 255 octets
};
struct SoaData {
  std::string mname;
  std::string rname;
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;
};
struct OptData {  // only on decode: the OPT pseudo-record's fields
  uint16_t udp_size = 0;
  uint8_t extended_rcode = 0;
  uint8_t version = 0;
  bool dnssec_ok = false;
};
struct RawData {  // any other type, kept opaque (RFC 3597: newer types never compress names)
  std::vector<uint8_t> bytes;
};

using RData =
    std::variant<AData, AaaaData, NameData, SrvData, MxData, TxtData, SoaData, OptData, RawData>;

struct Record {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = kClassIn;
  uint32_t ttl = 0;
  RData data;
};

// What to answer: the zone or the forwarder fills this, encode_response() puts it on the wire.
struct Answer {
  Rcode rcode = Rcode::kNoError;
  bool authoritative = false;
  bool recursion_available = false;
  std::vector<Record> answer;
  std::vector<Record> authority;
  std::vector<Record> additional;
};

// Builds the response to `query` into `out` (cleared; its capacity is reused). The question is
// echoed as asked. Records that do not fit `limit` are left out: when an answer or authority
// record is dropped the TC bit is set, additional records are dropped silently (RFC 2181 9).
// If the query had EDNS the response carries an OPT record, which always fits.
void encode_response(const Query& query, const Answer& answer, std::size_t limit,
                     std::vector<uint8_t>& out);

// An error response (FORMERR, NOTIMP, REFUSED, SERVFAIL) for a packet that may not have parsed:
// the ID, opcode and RD are copied from the raw header, no sections. Returns false (and leaves
// `out` empty) when the packet is too short to carry a header or is itself a response, in which
// case nothing should be sent.
bool encode_error(std::span<const uint8_t> packet, Rcode rcode, std::vector<uint8_t>& out);

// A whole decoded message, for the forwarder's cache and for tests.
struct Message {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::vector<Question> questions;
  std::vector<Record> answer;
  std::vector<Record> authority;
  std::vector<Record> additional;

  // The rcode including the OPT record's extended bits.
  uint16_t rcode() const;
  bool truncated() const { return (flags & flag::kTc) != 0; }
};

ParseError decode_message(std::span<const uint8_t> packet, Message& out);

// Presentation-form name (escapes as in Question::name) to uncompressed wire form. Returns false
// for bad escapes, empty labels, labels over 63 or names over 255 octets.
bool name_to_wire(std::string_view name, std::string& out);

// Convenience builders for the zone.
Record make_a(std::string name, uint32_t ttl, const std::array<uint8_t, 4>& addr);
Record make_aaaa(std::string name, uint32_t ttl, const std::array<uint8_t, 16>& addr);
Record make_name_record(std::string name, uint16_t type, uint32_t ttl, std::string target);
Record make_srv(std::string name, uint32_t ttl, uint16_t priority, uint16_t weight, uint16_t port,
                std::string target);
Record make_txt(std::string name, uint32_t ttl, std::vector<std::string> strings);
Record make_soa(std::string name, uint32_t ttl, SoaData soa);

}  // namespace skiff::dns
