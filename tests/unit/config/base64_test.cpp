#include "config/base64.h"

#include <catch2/catch.hpp>

using skiff::config::base64_decode;
using skiff::config::base64_encode;

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 round-trips every byte value") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto prefix = all.substr(0, n);
    auto decoded = base64_decode(base64_encode(prefix));
    REQUIRE(decoded);
    CHECK(*decoded == prefix);
  }
}

TEST_CASE("base64 decoding is strict as Go's StdEncoding") {
  CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
  CHECK(base64_decode("cGFzc3dvcmQ=") == std::string("password"));
  CHECK_FALSE(base64_decode("Zm9vYmF"));    // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v YmFy"));  // whitespace
  CHECK_FALSE(base64_decode("Zg=a"));       // data after padding
  CHECK_FALSE(base64_decode("Z==="));       // too much padding
  CHECK_FALSE(base64_decode("Zm==Zm9v"));   // padding before the end
  CHECK_FALSE(base64_decode("Zh=="));       // unused bits set
  CHECK_FALSE(base64_decode("Zm9-"));       // URL alphabet
  CHECK_FALSE(base64_decode("\xff\xff\xff\xff"));
}
