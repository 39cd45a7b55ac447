// Handlers for the object paths: collections, items and their status, scale and log
// subresources. Called by dispatch() once the route and method are known to fit.
#pragma once

#include <map>
#include <string>

#include "api/dispatch.h"
#include "api/routes.h"

namespace skiff::api {

using Query = std::map<std::string, std::string>;

Reply list_objects(const Route& route, const Query& query, const ApiContext& context);
Reply create_object(const Route& route, const std::string& body, const ApiContext& context);
Reply get_object(const Route& route, const ApiContext& context);
Reply replace_object(const Route& route, const std::string& body, const ApiContext& context);
Reply delete_object(const Route& route, const Query& query, const std::string& body,
                    const ApiContext& context);
Reply replace_status(const Route& route, const std::string& body, const ApiContext& context);
Reply get_scale(const Route& route, const ApiContext& context);
Reply replace_scale(const Route& route, const std::string& body, const ApiContext& context);
Reply get_log(const Route& route, const Query& query, const ApiContext& context);

}  // namespace skiff::api
