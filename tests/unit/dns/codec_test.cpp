#include "dns/codec.h"

#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace skiff::dns;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

void put_name(Bytes& b, std::string_view name) {
  std::string wire;
  REQUIRE(name_to_wire(name, wire));
  b.insert(b.end(), wire.begin(), wire.end());
}

Bytes header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  Bytes b;
  put16(b, id);
  put16(b, flags);
  put16(b, qd);
  put16(b, an);
  put16(b, ns);
  put16(b, ar);
  return b;
}

void put_opt(Bytes& b, uint16_t size, uint32_t ttl = 0) {
  b.push_back(0);
  put16(b, rrtype::kOpt);
  put16(b, size);
  put16(b, static_cast<uint16_t>(ttl >> 16));
  put16(b, static_cast<uint16_t>(ttl));
  put16(b, 0);
}

// A well-formed query as a stub resolver sends it.
Bytes query_packet(std::string_view name, uint16_t type, std::optional<uint16_t> edns = {}) {
  Bytes b = header(0xBEEF, flag::kRd, 1, 0, 0, edns ? 1 : 0);
  put_name(b, name);
  put16(b, type);
  put16(b, kClassIn);
  if (edns) put_opt(b, *edns);
  return b;
}

Query parsed(const Bytes& packet) {
  Query q;
  REQUIRE(parse_query(packet, q) == ParseError::kNone);
  return q;
}

Message decoded(const Bytes& packet) {
  Message m;
  const ParseError e = decode_message(packet, m);
  INFO(to_string(e));
  REQUIRE(e == ParseError::kNone);
  return m;
}

ParseError query_error(const Bytes& packet) {
  Query q;
  return parse_query(packet, q);
}

std::vector<Record> many_a(std::string_view name, int n) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(make_a(std::string(name), 5, {127, 0, 1, static_cast<uint8_t>(i)}));
  }
  return out;
}

}  // namespace

TEST_CASE("a query parses with its question as asked and its EDNS payload size") {
  const Query q = parsed(query_packet("Web.Default.SVC.cluster.local", rrtype::kA, 1232));
  CHECK(q.id == 0xBEEF);
  CHECK(q.recursion_desired());
  CHECK(q.opcode() == 0);
  CHECK(q.question.name == "Web.Default.SVC.cluster.local");
  CHECK(q.question.type == rrtype::kA);
  CHECK(q.question.klass == kClassIn);
  CHECK(q.edns);
  CHECK(q.edns_udp_size == 1232);
  CHECK(udp_limit(q) == 1232);
}

TEST_CASE("the UDP limit is 512 without EDNS and the client's size within [512, 4096]") {
  CHECK(udp_limit(parsed(query_packet("a", rrtype::kA))) == 512);
  CHECK(udp_limit(parsed(query_packet("a", rrtype::kA, 100))) == 512);
  CHECK(udp_limit(parsed(query_packet("a", rrtype::kA, 65000))) == 4096);
}

TEST_CASE("every record type survives an encode/decode round trip") {
  const Query q = parsed(query_packet("web.default.svc.cluster.local", rrtype::kAny, 4096));
  Answer a;
  a.authoritative = true;
  a.answer.push_back(make_a("web.default.svc.cluster.local", 5, {127, 96, 0, 10}));
  std::array<uint8_t, 16> v6{};
  v6[15] = 1;
  a.answer.push_back(make_aaaa("web.default.svc.cluster.local", 5, v6));
  a.answer.push_back(make_srv("_http._tcp.web.default.svc.cluster.local", 5, 0, 100, 8080,
                              "web.default.svc.cluster.local"));
  a.answer.push_back(make_name_record("10.0.96.127.in-addr.arpa", rrtype::kPtr, 5,
                                      "web.default.svc.cluster.local"));
  a.answer.push_back(make_txt("dns-version.cluster.local", 5, {"1.1.0", "second"}));
  a.answer.push_back(
      make_name_record("ext.default.svc.cluster.local", rrtype::kCname, 5, "example.org"));
  a.authority.push_back(
      make_soa("cluster.local", 5,
               {"ns.dns.cluster.local", "hostmaster.cluster.local", 42, 7200, 1800, 86400, 5}));
  Bytes out;
  encode_response(q, a, kMaxMessage, out);
  const Message m = decoded(out);
  CHECK(m.id == 0xBEEF);
  CHECK((m.flags & flag::kQr) != 0);
  CHECK((m.flags & flag::kAa) != 0);
  CHECK((m.flags & flag::kRd) != 0);
  CHECK_FALSE(m.truncated());
  CHECK(m.rcode() == 0);
  REQUIRE(m.questions.size() == 1);
  CHECK(m.questions[0].name == "web.default.svc.cluster.local");
  REQUIRE(m.answer.size() == 6);
  CHECK(std::get<AData>(m.answer[0].data).addr == std::array<uint8_t, 4>{127, 96, 0, 10});
  CHECK(m.answer[0].ttl == 5);
  CHECK(std::get<AaaaData>(m.answer[1].data).addr == v6);
  const auto& srv = std::get<SrvData>(m.answer[2].data);
  CHECK(srv.port == 8080);
  CHECK(srv.weight == 100);
  CHECK(srv.target == "web.default.svc.cluster.local");
  CHECK(m.answer[3].name == "10.0.96.127.in-addr.arpa");
  CHECK(std::get<NameData>(m.answer[3].data).target == "web.default.svc.cluster.local");
  CHECK(std::get<TxtData>(m.answer[4].data).strings == std::vector<std::string>{"1.1.0", "second"});
  CHECK(m.answer[5].type == rrtype::kCname);
  CHECK(std::get<NameData>(m.answer[5].data).target == "example.org");
  REQUIRE(m.authority.size() == 1);
  const auto& soa = std::get<SoaData>(m.authority[0].data);
  CHECK(soa.mname == "ns.dns.cluster.local");
  CHECK(soa.rname == "hostmaster.cluster.local");
  CHECK(soa.serial == 42);
  CHECK(soa.minimum == 5);
  REQUIRE(m.additional.size() == 1);
  CHECK(m.additional[0].type == rrtype::kOpt);
}

TEST_CASE("the question is echoed as asked and answer names compress against it") {
  const Query q = parsed(query_packet("WeB.default.svc.cluster.local", rrtype::kA));
  Answer a;
  a.answer = many_a("web.default.svc.cluster.local", 3);
  Bytes out;
  encode_response(q, a, 512, out);
  const Message m = decoded(out);
  CHECK(m.questions[0].name == "WeB.default.svc.cluster.local");
  // Header 12 + question 31+4, then each answer is a 2-byte pointer + 10 + 4 bytes of address.
  CHECK(out.size() == 12 + 35 + 3 * 16);
  CHECK(out[47] == 0xC0);
  CHECK(out[48] == 12);
  CHECK(m.answer.size() == 3);
  CHECK(m.answer[2].name == "WeB.default.svc.cluster.local");  // the pointer leads to the question
}

TEST_CASE("suffixes compress too") {
  const Query q = parsed(query_packet("_http._tcp.web.default.svc.cluster.local", rrtype::kSrv));
  Answer a;
  a.answer.push_back(make_srv("_http._tcp.web.default.svc.cluster.local", 5, 0, 100, 80,
                              "web.default.svc.cluster.local"));
  a.additional.push_back(make_a("web.default.svc.cluster.local", 5, {127, 96, 0, 1}));
  Bytes out;
  encode_response(q, a, 512, out);
  const Message m = decoded(out);
  REQUIRE(m.additional.size() == 1);
  CHECK(m.additional[0].name == "web.default.svc.cluster.local");
  // The additional owner is a single pointer into the question: 2 + 10 + 4 bytes.
  const std::size_t srv_size = 2 + 10 + 6 + 31;  // the SRV target is written uncompressed
  CHECK(out.size() == 12 + 46 + srv_size + 16);
}

TEST_CASE("answers over the UDP limit are cut at a record boundary and TC is set") {
  Answer a;
  a.answer = many_a("big.default.svc.cluster.local", 60);
  Bytes out;

  SECTION("no EDNS: 512") {
    const Query q = parsed(query_packet("big.default.svc.cluster.local", rrtype::kA));
    encode_response(q, a, udp_limit(q), out);
    CHECK(out.size() <= 512);
    const Message m = decoded(out);
    CHECK(m.truncated());
    CHECK(m.answer.size() < 60);
    CHECK(m.answer.size() > 20);
  }
  SECTION("EDNS 4096 holds them all") {
    const Query q = parsed(query_packet("big.default.svc.cluster.local", rrtype::kA, 4096));
    encode_response(q, a, udp_limit(q), out);
    const Message m = decoded(out);
    CHECK_FALSE(m.truncated());
    CHECK(m.answer.size() == 60);
    CHECK(m.additional.size() == 1);  // OPT
  }
  SECTION("EDNS keeps room for the OPT record") {
    const Query q = parsed(query_packet("big.default.svc.cluster.local", rrtype::kA, 600));
    encode_response(q, a, udp_limit(q), out);
    CHECK(out.size() <= 600);
    const Message m = decoded(out);
    CHECK(m.truncated());
    REQUIRE(m.additional.size() == 1);
    CHECK(m.additional[0].type == rrtype::kOpt);
  }
  SECTION("TCP sends everything") {
    const Query q = parsed(query_packet("big.default.svc.cluster.local", rrtype::kA));
    encode_response(q, a, kMaxMessage, out);
    const Message m = decoded(out);
    CHECK_FALSE(m.truncated());
    CHECK(m.answer.size() == 60);
  }
}

TEST_CASE("additional records that do not fit are dropped without TC") {
  const Query q = parsed(query_packet("a.default.svc.cluster.local", rrtype::kSrv));
  Answer a;
  a.answer.push_back(make_srv("a.default.svc.cluster.local", 5, 0, 1, 80, "x.cluster.local"));
  a.additional = many_a("elsewhere.example.org", 60);
  Bytes out;
  encode_response(q, a, 512, out);
  const Message m = decoded(out);
  CHECK_FALSE(m.truncated());
  CHECK(m.answer.size() == 1);
  CHECK(m.additional.size() < 60);
}

TEST_CASE("rcodes are set, extended ones through OPT") {
  Bytes out;
  Answer a;
  a.rcode = Rcode::kNxDomain;
  encode_response(parsed(query_packet("nope.cluster.local", rrtype::kA)), a, 512, out);
  CHECK(decoded(out).rcode() == 3);
  a.rcode = Rcode::kBadVers;
  encode_response(parsed(query_packet("nope.cluster.local", rrtype::kA, 1232)), a, 512, out);
  CHECK(decoded(out).rcode() == 16);
}

TEST_CASE("error responses copy ID, opcode and RD, and are never sent to responses") {
  Bytes out;
  Bytes q = query_packet("x", rrtype::kA);
  REQUIRE(encode_error(q, Rcode::kFormErr, out));
  Message m = decoded(out);
  CHECK(m.id == 0xBEEF);
  CHECK(m.rcode() == 1);
  CHECK((m.flags & flag::kRd) != 0);
  CHECK((m.flags & flag::kQr) != 0);
  CHECK(m.questions.empty());

  q[2] |= 0x28;  // opcode 5 (UPDATE)
  REQUIRE(encode_error(q, Rcode::kNotImp, out));
  m = decoded(out);
  CHECK(((m.flags >> 11) & 0xF) == 5);
  CHECK(m.rcode() == 4);

  q[2] |= 0x80;  // QR: a response
  CHECK_FALSE(encode_error(q, Rcode::kFormErr, out));
  CHECK(out.empty());
  CHECK_FALSE(encode_error(Bytes{1, 2, 3}, Rcode::kFormErr, out));
}

TEST_CASE("malformed queries yield typed errors") {
  SECTION("shorter than a header") {
    CHECK(query_error(Bytes{0xBE, 0xEF, 1, 0}) == ParseError::kTruncated);
  }
  SECTION("a response") {
    Bytes b = query_packet("a", rrtype::kA);
    b[2] |= 0x80;
    CHECK(query_error(b) == ParseError::kNotQuery);
  }
  SECTION("no question or two") {
    CHECK(query_error(header(1, 0, 0, 0, 0, 0)) == ParseError::kBadQuestionCount);
    Bytes b = query_packet("a", rrtype::kA);
    b[5] = 2;
    CHECK(query_error(b) == ParseError::kBadQuestionCount);
  }
  SECTION("question cut inside a label") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {5, 'a', 'b'});
    CHECK(query_error(b) == ParseError::kTruncated);
  }
  SECTION("question without type and class") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    put_name(b, "a.b");
    b.push_back(0);
    CHECK(query_error(b) == ParseError::kTruncated);
  }
  SECTION("a pointer to itself") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC0, 12, 0, 1, 0, 1});
    CHECK(query_error(b) == ParseError::kPointerLoop);
  }
  SECTION("two pointers pointing at each other") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {1, 'a', 0xC0, 12, 0, 1, 0, 1});
    CHECK(query_error(b) == ParseError::kPointerLoop);
  }
  SECTION("a forward pointer inside the packet") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC0, 16, 0, 1, 0, 1, 1, 'a', 0});
    CHECK(query_error(b) == ParseError::kPointerLoop);
  }
  SECTION("a pointer beyond the packet") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0xC1, 0, 0, 1, 0, 1});
    CHECK(query_error(b) == ParseError::kPointerOutOfRange);
  }
  SECTION("a pointer cut in half") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.push_back(0xC0);
    CHECK(query_error(b) == ParseError::kTruncated);
  }
  SECTION("extended label types") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    b.insert(b.end(), {0x41, 'a', 0, 0, 1, 0, 1});
    CHECK(query_error(b) == ParseError::kBadLabelType);
  }
  SECTION("a name over 255 octets") {
    Bytes b = header(1, 0, 1, 0, 0, 0);
    for (int i = 0; i < 5; ++i) {
      b.push_back(63);
      b.insert(b.end(), 63, 'x');
    }
    b.insert(b.end(), {0, 0, 1, 0, 1});
    CHECK(query_error(b) == ParseError::kNameTooLong);
  }
  SECTION("counts that claim more records than there are") {
    Bytes b = query_packet("a", rrtype::kA);
    b[11] = 3;
    CHECK(query_error(b) == ParseError::kTruncated);
    b = query_packet("a", rrtype::kA);
    b[7] = 1;
    CHECK(query_error(b) == ParseError::kTruncated);
  }
  SECTION("counts that claim fewer records than there are") {
    Bytes b = query_packet("a", rrtype::kA);
    put_opt(b, 1232);
    CHECK(query_error(b) == ParseError::kTrailingData);
  }
  SECTION("an OPT record with an owner name, twice, or in the answer section") {
    Bytes b = header(1, 0, 1, 0, 0, 1);
    put_name(b, "a");
    put16(b, rrtype::kA);
    put16(b, kClassIn);
    put_name(b, "a");
    put16(b, rrtype::kOpt);
    put16(b, 1232);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0);
    CHECK(query_error(b) == ParseError::kBadOpt);

    b = query_packet("a", rrtype::kA, 1232);
    put_opt(b, 1232);
    b[11] = 2;
    CHECK(query_error(b) == ParseError::kBadOpt);

    b = query_packet("a", rrtype::kA, 1232);
    b[7] = 1;
    b[11] = 0;
    CHECK(query_error(b) == ParseError::kBadOpt);
  }
  SECTION("an RDLENGTH past the end") {
    Bytes b = query_packet("a", rrtype::kA, 1232);
    b[b.size() - 1] = 40;
    CHECK(query_error(b) == ParseError::kTruncated);
  }
}

TEST_CASE("every prefix of a valid query is rejected, and mutations never read out of bounds") {
  const Bytes good = query_packet("web.default.svc.cluster.local", rrtype::kSrv, 1232);
  for (std::size_t n = 0; n < good.size(); ++n) {
    Bytes prefix(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    INFO("prefix of " << n << " bytes");
    CHECK(query_error(prefix) != ParseError::kNone);
  }
  // Random corruption: parse and decode must return (an error or a result) on every input.
  std::mt19937 rng(1234);
  Query q;
  Message m;
  int parsed_ok = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (parse_query(b, q) == ParseError::kNone) ++parsed_ok;
    (void)decode_message(b, m);
  }
  CHECK(parsed_ok < 5000);
}

TEST_CASE("names with odd octets are escaped and convert back to the same wire form") {
  Bytes b = header(1, 0, 1, 0, 0, 0);
  b.insert(b.end(), {3, 'a', '.', 'b', 2, 0x01, '\\', 0, 0, 1, 0, 1});
  const Query q = parsed(b);
  CHECK(q.question.name == "a\\.b.\\001\\\\");
  std::string wire;
  REQUIRE(name_to_wire(q.question.name, wire));
  CHECK(wire == q.qname_wire);
}

TEST_CASE("name_to_wire rejects what the wire cannot carry") {
  std::string wire;
  CHECK(name_to_wire("a.b.", wire));
  CHECK(wire == std::string("\1a\1b\0", 5));
  CHECK(name_to_wire("", wire));
  CHECK(wire == std::string("\0", 1));
  CHECK_FALSE(name_to_wire("a..b", wire));
  CHECK_FALSE(name_to_wire(".a", wire));
  CHECK_FALSE(name_to_wire(std::string(64, 'x'), wire));
  CHECK(name_to_wire(std::string(63, 'x'), wire));
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'y') + ".";
  CHECK_FALSE(name_to_wire(long_name, wire));
  CHECK_FALSE(name_to_wire("a\\9", wire));
  CHECK_FALSE(name_to_wire("a\\300", wire));
}
