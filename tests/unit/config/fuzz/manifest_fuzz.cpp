// libFuzzer target for what users type: manifests (YAML), API bodies (JSON), Dockerfiles,
// quantities and base64. Any input must load or fail with diagnostics, never crash, hang or
// read out of bounds; and every object that loads must survive the trip the API and the state
// files give it: to JSON, back to an object, to JSON again, unchanged.
// The first byte picks the parser, the rest is its input. Built and run by
// tests/fuzz/run_fuzz.sh (ctest: fuzz/config-manifest).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/base64.h"
#include "config/dockerfile.h"
#include "config/manifest.h"
#include "config/objects_json.h"
#include "config/quantity.h"

using namespace skiff::config;

namespace {

// An object that loaded must come back from its own JSON as the same JSON.
void check_round_trip(const Object& object) {
  const nlohmann::json first = to_json(object);
  auto again = object_from_json(first);
  if (!again) std::abort();  // what we wrote, we must read
  if (to_json(*again) != first) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {  // a manifest file: YAML, one or many documents
      const LoadResult r = load_manifests(text, "fuzz.yaml");
      if (!r.ok() && !r.objects.empty()) std::abort();  // any error: no objects at all
      for (const auto& object : r.objects) check_round_trip(object);
      break;
    }
    case 1: {  // an API request body
      const auto document = nlohmann::json::parse(text, nullptr, false);
      if (document.is_discarded()) break;
      const LoadResult r = decode_object(document);
      for (const auto& object : r.objects) check_round_trip(object);
      break;
    }
    case 2:
      (void)parse_dockerfile(text);
      break;
    case 3:
      (void)parse_quantity_milli(text);
      (void)parse_quantity_value(text);
      break;
    case 4:
      if (auto bytes = base64_decode(text)) {
        if (base64_decode(base64_encode(*bytes)) != bytes) std::abort();
      }
      break;
  }
  return 0;
}
