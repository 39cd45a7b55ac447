#include "dns/codec.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <type_traits>

#include "dns/wire_writer.h"

namespace skiff::dns {

namespace {

// Bounds-checked cursor over a packet. Every accessor fails rather than reading past the end.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> packet) : p_(packet) {}

  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  bool at_end() const { return pos_ == p_.size(); }
  std::span<const uint8_t> packet() const { return p_; }

  bool u8(uint8_t& v) {
    if (p_.size() - pos_ < 1) return false;
    v = p_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (p_.size() - pos_ < 2) return false;
    v = static_cast<uint16_t>((p_[pos_] << 8) | p_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (p_.size() - pos_ < 4) return false;
    v = (uint32_t{p_[pos_]} << 24) | (uint32_t{p_[pos_ + 1]} << 16) |
        (uint32_t{p_[pos_ + 2]} << 8) | uint32_t{p_[pos_ + 3]};
    pos_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (p_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }

  // Reads a possibly compressed name. `text` and `wire` may be null when only skipping. Each
  // compression pointer must point strictly before the start of the run of labels that holds it,
  // so the positions visited strictly decrease and the walk always ends.
  ParseError name(std::string* text, std::string* wire) {
    if (text) text->clear();
    if (wire) wire->clear();
    std::size_t cur = pos_;
    std::size_t run_start = pos_;
    bool jumped = false;
    std::size_t wire_len = 0;
    for (;;) {
      if (cur >= p_.size()) return ParseError::kTruncated;
      const uint8_t len = p_[cur];
      if ((len & 0xC0) == 0xC0) {
        if (cur + 1 >= p_.size()) return ParseError::kTruncated;
        const std::size_t target = (std::size_t{len & 0x3Fu} << 8) | p_[cur + 1];
        if (!jumped) pos_ = cur + 2;
        jumped = true;
        if (target >= p_.size()) return ParseError::kPointerOutOfRange;
        if (target >= run_start) return ParseError::kPointerLoop;
        cur = target;
        run_start = target;
        continue;
      }
      if ((len & 0xC0) != 0) return ParseError::kBadLabelType;
      if (len == 0) {
        if (wire_len + 1 > kMaxNameWire) return ParseError::kNameTooLong;
        if (wire) wire->push_back('\0');
        if (!jumped) pos_ = cur + 1;
        return ParseError::kNone;
      }
      if (p_.size() - cur - 1 < len) return ParseError::kTruncated;
      wire_len += 1 + len;
      if (wire_len + 1 > kMaxNameWire) return ParseError::kNameTooLong;
      const auto* label = p_.data() + cur + 1;
      if (wire) wire->append(reinterpret_cast<const char*>(label - 1), 1 + std::size_t{len});
      if (text) append_label_text(label, len, *text);
      cur += 1 + std::size_t{len};
    }
  }

 private:
  static bool plain(uint8_t c) { return c >= 0x21 && c <= 0x7E && c != '.' && c != '\\'; }

  static void append_label_text(const uint8_t* label, std::size_t len, std::string& text) {
    if (!text.empty()) text.push_back('.');
    if (std::all_of(label, label + len, plain)) {  // the usual case: copied as is
      text.append(reinterpret_cast<const char*>(label), len);
      return;
    }
    for (std::size_t i = 0; i < len; ++i) {
      const uint8_t c = label[i];
      if (c == '.' || c == '\\') {
        text.push_back('\\');
        text.push_back(static_cast<char>(c));
      } else if (c < 0x21 || c > 0x7E) {
        text.push_back('\\');
        text.push_back(static_cast<char>('0' + c / 100));
        text.push_back(static_cast<char>('0' + (c / 10) % 10));
        text.push_back(static_cast<char>('0' + c % 10));
      } else {
        text.push_back(static_cast<char>(c));
      }
    }
  }

  std::span<const uint8_t> p_;
  std::size_t pos_ = 0;
};

struct Header {
  uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
};

bool read_header(Reader& r, Header& h) {
  return r.u16(h.id) && r.u16(h.flags) && r.u16(h.qd) && r.u16(h.an) && r.u16(h.ns) && r.u16(h.ar);
}

// Reads RDATA of `type` spanning [start, start+len) into `data`.
ParseError read_rdata(Reader& r, uint16_t type, uint16_t len, RData& data) {
  const std::size_t start = r.pos();
  if (r.packet().size() - start < len) return ParseError::kTruncated;
  const std::size_t end = start + len;
  auto name_in = [&](std::string& out) -> ParseError {
    const ParseError e = r.name(&out, nullptr);
    if (e != ParseError::kNone) return e;
    return r.pos() <= end ? ParseError::kNone : ParseError::kBadRdata;
  };
  ParseError e = ParseError::kNone;
  switch (type) {
    case rrtype::kA: {
      if (len != 4) return ParseError::kBadRdata;
      AData a;
      std::copy_n(r.packet().data() + start, 4, a.addr.begin());
      data = a;
      r.skip(4);
      break;
    }
    case rrtype::kAaaa: {
      if (len != 16) return ParseError::kBadRdata;
      AaaaData a;
      std::copy_n(r.packet().data() + start, 16, a.addr.begin());
      data = a;
      r.skip(16);
      break;
    }
    case rrtype::kCname:
    case rrtype::kPtr:
    case rrtype::kNs: {
      NameData n;
      if ((e = name_in(n.target)) != ParseError::kNone) return e;
      data = std::move(n);
      break;
    }
    case rrtype::kSrv: {
      SrvData s;
      if (len < 7 || !r.u16(s.priority) || !r.u16(s.weight) || !r.u16(s.port)) {
        return ParseError::kBadRdata;
      }
      if ((e = name_in(s.target)) != ParseError::kNone) return e;
      data = std::move(s);
      break;
    }
    case rrtype::kMx: {
      MxData m;
      if (len < 3 || !r.u16(m.preference)) return ParseError::kBadRdata;
      if ((e = name_in(m.exchange)) != ParseError::kNone) return e;
      data = std::move(m);
      break;
    }
    case rrtype::kTxt: {
      TxtData t;
      while (r.pos() < end) {
        uint8_t n = 0;
        r.u8(n);
        if (end - r.pos() < n) return ParseError::kBadRdata;
        t.strings.emplace_back(reinterpret_cast<const char*>(r.packet().data() + r.pos()), n);
        r.skip(n);
      }
      data = std::move(t);
      break;
    }
    case rrtype::kSoa: {
      SoaData s;
      if ((e = name_in(s.mname)) != ParseError::kNone) return e;
      if ((e = name_in(s.rname)) != ParseError::kNone) return e;
      if (end - r.pos() < 20) return ParseError::kBadRdata;
      r.u32(s.serial);
      r.u32(s.refresh);
      r.u32(s.retry);
      r.u32(s.expire);
      r.u32(s.minimum);
      data = std::move(s);
      break;
    }
    default: {
      RawData raw;
      raw.bytes.assign(r.packet().begin() + static_cast<std::ptrdiff_t>(start),
                       r.packet().begin() + static_cast<std::ptrdiff_t>(end));
      data = std::move(raw);
      r.seek(end);
      break;
    }
  }
  if (r.pos() != end) return ParseError::kBadRdata;
  return ParseError::kNone;
}

// Writes one record; returns false when its name or data cannot be encoded (the caller rolls back).
bool write_record(WireWriter& w, const Record& rec, std::string& scratch) {
  if (!name_to_wire(rec.name, scratch)) return false;
  w.name(scratch, true);
  w.u16(rec.type);
  w.u16(rec.klass);
  w.u32(rec.ttl);
  const std::size_t len_at = w.size();
  w.u16(0);
  bool ok = true;
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
          for (uint8_t b : d.addr) w.u8(b);
        } else if constexpr (std::is_same_v<T, NameData>) {
          ok = name_to_wire(d.target, scratch);
          if (ok) w.name(scratch, true);
        } else if constexpr (std::is_same_v<T, SrvData>) {
          w.u16(d.priority);
          w.u16(d.weight);
          w.u16(d.port);
          ok = name_to_wire(d.target, scratch);
          if (ok) w.name(scratch, false);  // RFC 2782: the target is not compressed
        } else if constexpr (std::is_same_v<T, MxData>) {
          w.u16(d.preference);
          ok = name_to_wire(d.exchange, scratch);
          if (ok) w.name(scratch, true);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          for (const auto& s : d.strings) {
            if (s.size() > 255) {
              ok = false;
              return;
            }
            w.u8(static_cast<uint8_t>(s.size()));
            for (char c : s) w.u8(static_cast<uint8_t>(c));
          }
        } else if constexpr (std::is_same_v<T, SoaData>) {
          ok = name_to_wire(d.mname, scratch);
          if (ok) w.name(scratch, true);
          ok = ok && name_to_wire(d.rname, scratch);
          if (ok) w.name(scratch, true);
          w.u32(d.serial);
          w.u32(d.refresh);
          w.u32(d.retry);
          w.u32(d.expire);
          w.u32(d.minimum);
        } else if constexpr (std::is_same_v<T, OptData>) {
          ok = false;  // OPT is written by encode_response itself
        } else {
          for (uint8_t b : d.bytes) w.u8(b);
        }
      },
      rec.data);
  const std::size_t rdlen = w.size() - len_at - 2;
  if (!ok || rdlen > 0xFFFF) return false;
  w.put16(len_at, static_cast<uint16_t>(rdlen));
  return true;
}

constexpr std::size_t kOptSize = 11;

}  // namespace

const char* to_string(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "no error";
    case ParseError::kTruncated:
      return "truncated packet";
    case ParseError::kBadLabelType:
      return "bad label type";
    case ParseError::kLabelTooLong:
      return "label longer than 63 octets";
    case ParseError::kNameTooLong:
      return "name longer than 255 octets";
    case ParseError::kPointerLoop:
      return "compression pointer loop";
    case ParseError::kPointerOutOfRange:
      return "compression pointer beyond the packet";
    case ParseError::kNotQuery:
      return "not a query";
    case ParseError::kBadQuestionCount:
      return "question count is not 1";
    case ParseError::kBadOpt:
      return "malformed OPT record";
    case ParseError::kTrailingData:
      return "data after the last record";
    case ParseError::kBadRdata:
      return "malformed record data";
  }
  return "unknown error";
}

ParseError parse_query(std::span<const uint8_t> packet, Query& out) {
  Reader r(packet);
  Header h;
  if (!read_header(r, h)) return ParseError::kTruncated;
  out.id = h.id;
  out.flags = h.flags;
  out.edns = false;
  out.edns_udp_size = 0;
  out.edns_version = 0;
  out.dnssec_ok = false;
  if (h.flags & flag::kQr) return ParseError::kNotQuery;
  if (h.qd != 1) return ParseError::kBadQuestionCount;
  ParseError e = r.name(&out.question.name, &out.qname_wire);
  if (e != ParseError::kNone) return e;
  if (!r.u16(out.question.type) || !r.u16(out.question.klass)) return ParseError::kTruncated;
  const uint32_t records = uint32_t{h.an} + h.ns + h.ar;
  const uint32_t first_additional = uint32_t{h.an} + h.ns;
  for (uint32_t i = 0; i < records; ++i) {
    // Checked before reading: OPT's owner must be the root, written as one zero octet.
    const bool root_owner = r.pos() < packet.size() && packet[r.pos()] == 0;
    if ((e = r.name(nullptr, nullptr)) != ParseError::kNone) return e;
    uint16_t type = 0, klass = 0, rdlen = 0;
    uint32_t ttl = 0;
    if (!r.u16(type) || !r.u16(klass) || !r.u32(ttl) || !r.u16(rdlen)) {
      return ParseError::kTruncated;
    }
    if (!r.skip(rdlen)) return ParseError::kTruncated;
    if (type == rrtype::kOpt) {
      if (i < first_additional || out.edns || !root_owner) return ParseError::kBadOpt;
      out.edns = true;
      out.edns_udp_size = klass;
      out.edns_version = static_cast<uint8_t>(ttl >> 16);
      out.dnssec_ok = (ttl & 0x8000) != 0;
    }
  }
  if (!r.at_end()) return ParseError::kTrailingData;
  return ParseError::kNone;
}

std::size_t udp_limit(const Query& query) {
  if (!query.edns) return kClassicUdpLimit;
  return std::clamp<std::size_t>(query.edns_udp_size, kClassicUdpLimit, kMaxUdpLimit);
}

void encode_response(const Query& query, const Answer& answer, std::size_t limit,
                     std::vector<uint8_t>& out) {
  out.clear();
  limit = std::min(limit, kMaxMessage);
  WireWriter w(out);
  const auto rcode = static_cast<uint16_t>(answer.rcode);
  uint16_t flags = flag::kQr | (query.flags & (0x7800 | flag::kRd | flag::kCd)) | (rcode & 0xF);
  if (answer.authoritative) flags |= flag::kAa;
  if (answer.recursion_available) flags |= flag::kRa;
  w.u16(query.id);
  w.u16(flags);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(0);
  const std::size_t qname_at = w.size();
  for (char c : query.qname_wire) w.u8(static_cast<uint8_t>(c));
  w.remember_name_at(qname_at);
  w.u16(query.question.type);
  w.u16(query.question.klass);

  const std::size_t reserve = query.edns ? kOptSize : 0;
  // Per thread, so encoding reuses its storage instead of allocating for every response.
  thread_local std::string scratch;
  scratch.reserve(kMaxNameWire + 1);
  bool truncated = false;
  uint16_t counts[3] = {0, 0, 0};
  const std::vector<Record>* sections[3] = {&answer.answer, &answer.authority, &answer.additional};
  for (int s = 0; s < 3 && !truncated; ++s) {
    for (const Record& rec : *sections[s]) {
      const std::size_t size_mark = w.size();
      const std::size_t names_mark = w.mark_names();
      const bool ok = write_record(w, rec, scratch);
      if (ok && w.size() + reserve <= limit && counts[s] < 0xFFFF) {
        ++counts[s];
        continue;
      }
      w.rollback(size_mark, names_mark);
      if (!ok) continue;  // an unencodable record is skipped, not a reason to truncate
      if (s < 2) truncated = true;
      break;
    }
  }
  w.put16(6, counts[0]);
  w.put16(8, counts[1]);
  uint16_t additional = counts[2];
  if (query.edns) {
    w.u8(0);  // root
    w.u16(rrtype::kOpt);
    w.u16(static_cast<uint16_t>(kMaxUdpLimit));
    w.u32(static_cast<uint32_t>(rcode >> 4) << 24);  // extended rcode, version 0, no DO
    w.u16(0);
    ++additional;
  }
  w.put16(10, additional);
  if (truncated) w.put16(2, flags | flag::kTc);
  w.finish();
}

bool encode_error(std::span<const uint8_t> packet, Rcode rcode, std::vector<uint8_t>& out) {
  out.clear();
  if (packet.size() < kHeaderSize) return false;
  const uint16_t in_flags = static_cast<uint16_t>((packet[2] << 8) | packet[3]);
  if (in_flags & flag::kQr) return false;
  const uint16_t flags = flag::kQr | (in_flags & (0x7800 | flag::kRd | flag::kCd)) |
                         (static_cast<uint16_t>(rcode) & 0xF);
  out.resize(kHeaderSize, 0);
  out[0] = packet[0];
  out[1] = packet[1];
  out[2] = static_cast<uint8_t>(flags >> 8);
  out[3] = static_cast<uint8_t>(flags);
  return true;
}

uint16_t Message::rcode() const {
  uint16_t r = flags & 0xF;
  for (const Record& rec : additional) {
    if (const auto* opt = std::get_if<OptData>(&rec.data)) {
      r = static_cast<uint16_t>(r | (opt->extended_rcode << 4));
    }
  }
  return r;
}

ParseError decode_message(std::span<const uint8_t> packet, Message& out) {
  Reader r(packet);
  Header h;
  if (!read_header(r, h)) return ParseError::kTruncated;
  out = Message{};
  out.id = h.id;
  out.flags = h.flags;
  ParseError e = ParseError::kNone;
  for (uint16_t i = 0; i < h.qd; ++i) {
    Question q;
    if ((e = r.name(&q.name, nullptr)) != ParseError::kNone) return e;
    if (!r.u16(q.type) || !r.u16(q.klass)) return ParseError::kTruncated;
    out.questions.push_back(std::move(q));
  }
  std::vector<Record>* sections[3] = {&out.answer, &out.authority, &out.additional};
  const uint16_t counts[3] = {h.an, h.ns, h.ar};
  bool seen_opt = false;
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      Record rec;
      if ((e = r.name(&rec.name, nullptr)) != ParseError::kNone) return e;
      uint16_t rdlen = 0;
      if (!r.u16(rec.type) || !r.u16(rec.klass) || !r.u32(rec.ttl) || !r.u16(rdlen)) {
        return ParseError::kTruncated;
      }
      if (rec.type == rrtype::kOpt) {
        if (s != 2 || seen_opt || !rec.name.empty()) return ParseError::kBadOpt;
        seen_opt = true;
        if (!r.skip(rdlen)) return ParseError::kTruncated;
        OptData opt;
        opt.udp_size = rec.klass;
        opt.extended_rcode = static_cast<uint8_t>(rec.ttl >> 24);
        opt.version = static_cast<uint8_t>(rec.ttl >> 16);
        opt.dnssec_ok = (rec.ttl & 0x8000) != 0;
        rec.data = opt;
      } else if ((e = read_rdata(r, rec.type, rdlen, rec.data)) != ParseError::kNone) {
        return e;
      }
      sections[s]->push_back(std::move(rec));
    }
  }
  if (!r.at_end()) return ParseError::kTrailingData;
  return ParseError::kNone;
}

bool name_to_wire(std::string_view name, std::string& out) {
  out.clear();
  if (name == "." || name.empty()) {
    out.push_back('\0');
    return true;
  }
  std::size_t label_at = 0;
  out.push_back('\0');  // length of the first label, patched when it ends
  auto end_label = [&]() {
    const std::size_t len = out.size() - label_at - 1;
    if (len == 0 || len > kMaxLabel) return false;
    out[label_at] = static_cast<char>(len);
    label_at = out.size();
    out.push_back('\0');
    return true;
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (!end_label()) return false;
      if (i + 1 == name.size()) break;  // one trailing dot: the name was absolute
      continue;
    }
    if (c != '\\') {
      out.push_back(c);
    } else if (i + 3 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(name[i + 2])) &&
               std::isdigit(static_cast<unsigned char>(name[i + 3]))) {
      const int v = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
      if (v > 255) return false;
      out.push_back(static_cast<char>(v));
      i += 3;
    } else if (i + 1 < name.size() && !std::isdigit(static_cast<unsigned char>(name[i + 1]))) {
      out.push_back(name[++i]);
    } else {
      return false;
    }
    if (out.size() > kMaxNameWire) return false;
  }
  if (out.size() - label_at - 1 > 0 && !end_label()) return false;
  // `out` now ends with the placeholder of an empty label: it is the root terminator.
  out[out.size() - 1] = '\0';
  return out.size() <= kMaxNameWire;
}

Record make_a(std::string name, uint32_t ttl, const std::array<uint8_t, 4>& addr) {
  return {std::move(name), rrtype::kA, kClassIn, ttl, AData{addr}};
}
Record make_aaaa(std::string name, uint32_t ttl, const std::array<uint8_t, 16>& addr) {
  return {std::move(name), rrtype::kAaaa, kClassIn, ttl, AaaaData{addr}};
}
Record make_name_record(std::string name, uint16_t type, uint32_t ttl, std::string target) {
  return {std::move(name), type, kClassIn, ttl, NameData{std::move(target)}};
}
Record make_srv(std::string name, uint32_t ttl, uint16_t priority, uint16_t weight, uint16_t port,
                std::string target) {
  return {std::move(name), rrtype::kSrv, kClassIn, ttl,
          SrvData{priority, weight, port, std::move(target)}};
}
Record make_txt(std::string name, uint32_t ttl, std::vector<std::string> strings) {
  return {std::move(name), rrtype::kTxt, kClassIn, ttl, TxtData{std::move(strings)}};
}
Record make_soa(std::string name, uint32_t ttl, SoaData soa) {
  return {std::move(name), rrtype::kSoa, kClassIn, ttl, std::move(soa)};
}

}  // namespace skiff::dns
