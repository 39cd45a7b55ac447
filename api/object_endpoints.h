// Handlers for the object paths: collections, items and their status, scale and log
// subresources. Called by dispatch() once the route and method are known to fit.
#pragma once

#include <map>
#include <string>

#include "api/dispatch.h"
#include "api/field_validation.h"
#include "api/routes.h"
#include "api/table_json.h"

namespace skiff::api {

using Query = std::map<std::string, std::string>;

// `rendering` set: a meta.k8s.io Table instead of the object or list (server-side printing).
Reply list_objects(const Route& route, const Query& query, const ApiContext& context,
                   const Rendering& rendering = {});
// create/replace: `validation` is the request's fieldValidation (unknown fields).
Reply create_object(const Route& route, const std::string& body, const ApiContext& context,
                    FieldValidation validation = FieldValidation::kWarn);
Reply get_object(const Route& route, const ApiContext& context, const Rendering& rendering = {});
Reply replace_object(const Route& route, const std::string& body, const ApiContext& context,
                     FieldValidation validation = FieldValidation::kWarn);
Reply delete_object(const Route& route, const Query& query, const std::string& body,
                    const ApiContext& context);
Reply replace_status(const Route& route, const std::string& body, const ApiContext& context,
                     FieldValidation validation = FieldValidation::kWarn);
Reply get_scale(const Route& route, const ApiContext& context);
Reply replace_scale(const Route& route, const std::string& body, const ApiContext& context);
Reply get_log(const Route& route, const Query& query, const ApiContext& context);

}  // namespace skiff::api
