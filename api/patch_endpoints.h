// PATCH on an object, its status and its scale subresource. Called by dispatch().
#pragma once

#include <string>

#include "api/dispatch.h"
#include "api/field_validation.h"
#include "api/routes.h"

namespace skiff::api {

// The current object (or its Scale) as JSON, the patch of `content_type` applied, and the result
// handed to the PUT handler of the same path: decoding, validation, defaults, immutable fields,
// optimistic concurrency when the patch sets metadata.resourceVersion, "no change" keeping the
// resourceVersion and the store's watch events all come from there. The read and the write run
// on the API's one event loop, so no other write slips between them. Unknown fields the patch
// adds are treated as `validation` says (the Scale subresource ignores it).
Reply patch_object(const Route& route, const std::string& content_type, const std::string& body,
                   const ApiContext& context, FieldValidation validation = FieldValidation::kWarn);

}  // namespace skiff::api
