#include "controller/pod_template_hash.h"

#include "config/objects_json.h"
#include "controller/safe_encode.h"

namespace skiff::controller {

uint32_t fnv1a32(std::string_view data) {
  uint32_t h = 2166136261U;
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619U;
  }
  return h;
}

std::string pod_template_hash(const config::PodTemplateSpec& tmpl) {
  config::json j;
  config::to_json(j, tmpl);
  return safe_encode_string(std::to_string(fnv1a32(j.dump())));
}

}  // namespace skiff::controller
