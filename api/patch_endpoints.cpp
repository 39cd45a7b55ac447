#include "api/patch_endpoints.h"

#include "api/object_endpoints.h"
#include "api/patch.h"
#include "api/scale.h"
#include "config/objects_json.h"

namespace skiff::api {

Reply patch_object(const Route& route, const std::string& content_type, const std::string& body,
                   const ApiContext& context) {
  auto type = patch_type(content_type);
  if (!type) return error_reply(type.error());
  auto current = context.store.get(route.kind, route.ns, route.name);
  if (!current) return get_object(route, context);  // the 404 a GET of the path gives
  const bool scale = route.endpoint == Endpoint::kScale;
  const nlohmann::json original = scale ? scale_to_json(*current) : config::to_json(*current);
  auto patched = apply_patch(*type, original, body);
  if (!patched) return error_reply(patched.error());
  const std::string next = patched->dump();
  switch (route.endpoint) {
    case Endpoint::kScale:
      return replace_scale(route, next, context);
    case Endpoint::kStatus:
      return replace_status(route, next, context);
    default:
      return replace_object(route, next, context);
  }
}

}  // namespace skiff::api
