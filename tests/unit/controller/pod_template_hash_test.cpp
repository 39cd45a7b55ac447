#include "controller/pod_template_hash.h"

#include <catch2/catch.hpp>
#include <regex>

#include "controller/safe_encode.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;

TEST_CASE("SafeEncodeString maps decimal digits as Kubernetes does") {
  // '0'..'9' are bytes 48..57: 48 % 27 = 21 -> '4' ... 57 % 27 = 3 -> 'f'.
  CHECK(safe_encode_string("0123456789") == "456789bcdf");
}

TEST_CASE("FNV-1a 32 matches the reference vectors") {
  CHECK(fnv1a32("") == 0x811c9dc5U);
  CHECK(fnv1a32("a") == 0xe40c292cU);
  CHECK(fnv1a32("foobar") == 0xbf9cf968U);
}

TEST_CASE("pod-template-hash is stable for equal templates and changes with the template") {
  auto d = testing::make_deployment("web", 1, "hello:1");
  auto h1 = pod_template_hash(d.spec.template_);
  auto h2 = pod_template_hash(testing::make_deployment("web", 3, "hello:1").spec.template_);
  CHECK(h1 == h2);  // replicas are not part of the template
  CHECK(std::regex_match(h1, std::regex("[bcdfghjklmnpqrstvwxz2456789]{1,10}")));

  auto changed = testing::make_deployment("web", 1, "hello:2");
  CHECK(pod_template_hash(changed.spec.template_) != h1);
  auto env = d;
  env.spec.template_.spec.containers[0].env.push_back({"MODE", "fast", {}});
  CHECK(pod_template_hash(env.spec.template_) != h1);
}
