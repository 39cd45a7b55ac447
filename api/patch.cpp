#include "api/patch.h"

#include <algorithm>
#include <cctype>

#include "api/json_body.h"
#include "api/json_patch.h"
#include "api/strategic_merge.h"

namespace skiff::api {
namespace {

using config::ApiError;
using nlohmann::json;

constexpr std::string_view kAccepted =
    "application/json-patch+json, application/merge-patch+json, "
    "application/strategic-merge-patch+json";

std::string media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front()))) {
    type.remove_prefix(1);
  }
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) {
    type.remove_suffix(1);
  }
  std::string out(type);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

config::Result<PatchType> patch_type(std::string_view content_type) {
  const std::string type = media_type(content_type);
  if (type == "application/json-patch+json") return PatchType::kJson;
  if (type == "application/merge-patch+json") return PatchType::kMerge;
  if (type == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (type == "application/apply-patch+yaml") {
    return ApiError{415,
                    "UnsupportedMediaType",
                    "server-side apply (application/apply-patch+yaml) is not supported by "
                    "skiff: use client-side apply (kubectl apply without --server-side); "
                    "accepted media types include: " +
                        std::string(kAccepted),
                    {}};
  }
  // negotiation.NewUnsupportedMediaTypeError, as the API server words it.
  return ApiError{415,
                  "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types "
                  "include: " +
                      std::string(kAccepted),
                  {}};
}

config::Result<json> apply_patch(PatchType type, const json& original, const std::string& body) {
  auto parsed = parse_json_body(body, "patch body");
  if (!parsed) return parsed.error();
  const json& patch = *parsed;
  switch (type) {
    case PatchType::kJson:
      return json_patch(original, patch);
    case PatchType::kMerge:
      return merge_patch(original, patch);
    case PatchType::kStrategic:
      return strategic_merge(original, patch);
  }
  return ApiError::bad_request("unknown patch type");
}

}  // namespace skiff::api
