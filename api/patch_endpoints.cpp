#include "api/patch_endpoints.h"

#include "api/object_endpoints.h"
#include "api/patch.h"
#include "api/scale.h"
#include "config/kinds.h"
#include "config/objects_json.h"

namespace skiff::api {

Reply patch_object(const Route& route, const std::string& content_type, const std::string& body,
                   const ApiContext& context, FieldValidation validation) {
  auto type = patch_type(content_type);
  if (!type) return error_reply(type.error());
  auto current = context.store.get(route.kind, route.ns, route.name);
  if (!current) return get_object(route, context);  // the 404 a GET of the path gives
  const bool scale = route.endpoint == Endpoint::kScale;
  const nlohmann::json original = scale ? scale_to_json(*current) : config::to_json(*current);
  auto patched = apply_patch(*type, original, body);
  if (!patched) return error_reply(patched.error());
  // Keys repeated in the patch itself are gone from the patched object: judged here.
  std::vector<std::string> duplicates;
  if (!scale && validation != FieldValidation::kIgnore) {
    const auto& info = config::kind_info(route.kind);
    const auto slash = info.api_version.find('/');
    auto found = field_warnings(
        duplicate_fields(body), {}, validation, info.name,
        slash == std::string_view::npos ? info.api_version : info.api_version.substr(slash + 1));
    if (!found) return error_reply(found.error());
    duplicates = std::move(found.value());
  }
  const std::string next = patched->dump();
  Reply reply;
  switch (route.endpoint) {
    case Endpoint::kScale:
      return replace_scale(route, next, context);
    case Endpoint::kStatus:
      reply = replace_status(route, next, context, validation);
      break;
    default:
      reply = replace_object(route, next, context, validation);
      break;
  }
  if (reply.status < 300) {
    reply.warnings.insert(reply.warnings.begin(), duplicates.begin(), duplicates.end());
  }
  return reply;
}

}  // namespace skiff::api
