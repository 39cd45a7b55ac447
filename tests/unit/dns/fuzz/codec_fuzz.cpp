// libFuzzer target for the DNS codec: any input must parse or fail with a ParseError, never read
// out of bounds, and a query that parses must encode a response that decodes again.
// Not part of the CMake build (g++ has no libFuzzer). Build and run with clang:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     dns/codec.cpp tests/unit/dns/fuzz/codec_fuzz.cpp -o /tmp/codec_fuzz
//   /tmp/codec_fuzz -max_total_time=60 tests/unit/dns/fuzz/corpus
#include <cstdlib>
#include <span>
#include <vector>

#include "dns/codec.h"

using namespace skiff::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> packet(data, size);
  Message m;
  (void)decode_message(packet, m);

  Query q;
  std::vector<uint8_t> out;
  if (parse_query(packet, q) != ParseError::kNone) {
    (void)encode_error(packet, Rcode::kFormErr, out);
    return 0;
  }
  Answer a;
  a.answer.push_back(make_a(q.question.name, 5, {127, 0, 0, 1}));
  a.authority.push_back(make_soa(
      "cluster.local", 5, {"ns.dns.cluster.local", "hostmaster.cluster.local", 1, 2, 3, 4, 5}));
  encode_response(q, a, udp_limit(q), out);
  Message back;
  if (decode_message(out, back) != ParseError::kNone) std::abort();
  if (back.questions.size() != 1 || back.questions[0].name != q.question.name) std::abort();
  if (out.size() > udp_limit(q)) std::abort();
  return 0;
}
