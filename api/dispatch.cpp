#include "api/dispatch.h"

#include <exception>
#include <initializer_list>
#include <string_view>

#include "api/discovery.h"
#include "api/field_validation.h"
#include "api/object_endpoints.h"
#include "api/openapi.h"
#include "api/patch_endpoints.h"
#include "api/routes.h"

namespace skiff::api {
namespace {

using config::ApiError;

Reply method_not_allowed(std::initializer_list<std::string_view> allowed) {
  Reply reply =
      error_reply(ApiError{405,
                           "MethodNotAllowed",
                           "the server does not allow this method on the requested resource",
                           {}});
  std::string allow;
  for (auto m : allowed) allow += (allow.empty() ? "" : ", ") + std::string(m);
  reply.headers.emplace_back("Allow", allow);
  return reply;
}

bool is_verbose(const Query& query) {
  auto it = query.find("verbose");
  return it != query.end() && it->second != "false" && it->second != "0";
}

Reply health(const Route& route, const Query& query, const ApiContext& context,
             std::string_view endpoint) {
  static const std::vector<ReadinessCheck> kNone;
  const auto& checks = route.endpoint == Endpoint::kReadyz ? context.checks : kNone;
  auto report = health_report(checks, endpoint, is_verbose(query), route.check);
  if (!report) {
    return error_reply(ApiError::not_found("readiness check \"" + route.check + "\""));
  }
  return text_reply(report->ok ? 200 : 503, std::move(report->body));
}

// kubectl asks for a Table (server-side printing) in the Accept header of a GET of a list or
// an object, with includeObject in the query; the first acceptable media range wins, none
// acceptable is 406.
Reply get_rendered(const Route& route, const Request& request, const Query& query,
                   const ApiContext& context) {
  auto rendering = negotiate_rendering(request.accept);
  if (!rendering) return error_reply(rendering.error());
  if (rendering.value()) {
    auto it = query.find("includeObject");
    auto include = parse_include_object(it == query.end() ? nullptr : &it->second);
    if (!include) return error_reply(include.error());
    rendering.value()->include = *include;
  }
  if (route.endpoint == Endpoint::kCollection) {
    return list_objects(route, query, context, rendering.value());
  }
  return get_object(route, context, rendering.value());
}

Reply serve(const Route& route, const Request& request, const Query& query, const std::string& path,
            const ApiContext& context) {
  const std::string& method = request.method;
  const std::string& body = request.body;
  const bool get = method == "GET";
  // fieldValidation of a create (POST), update (PUT) or patch; a bad value is refused first.
  FieldValidation validation = FieldValidation::kWarn;
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    auto parsed = parse_field_validation(
        query,
        method == "POST" ? "CreateOptions" : (method == "PUT" ? "UpdateOptions" : "PatchOptions"));
    if (!parsed) return error_reply(parsed.error());
    validation = parsed.value();
  }
  switch (route.endpoint) {
    case Endpoint::kHealthz:
    case Endpoint::kReadyz:
      if (!get) return method_not_allowed({"GET"});
      return health(route, query, context,
                    route.endpoint == Endpoint::kReadyz
                        ? "readyz"
                        : (path.rfind("/livez", 0) == 0 ? "livez" : "healthz"));
    case Endpoint::kMetrics: {
      if (!get) return method_not_allowed({"GET"});
      if (!context.metrics) return error_reply(ApiError::not_found("metrics"));
      Reply reply = text_reply(200, context.metrics());
      reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return reply;
    }
    case Endpoint::kVersion:
      if (!get) return method_not_allowed({"GET"});
      return json_reply(200, version_json());
    case Endpoint::kApiVersions:
      if (!get) return method_not_allowed({"GET"});
      return json_reply(200, api_versions_json());
    case Endpoint::kApiGroups:
      if (!get) return method_not_allowed({"GET"});
      return json_reply(200, api_groups_json());
    case Endpoint::kResourceList:
      if (!get) return method_not_allowed({"GET"});
      return json_reply(200, resource_list_json(route.group_version));
    case Endpoint::kOpenApiIndex:
      if (!get) return method_not_allowed({"GET"});
      return json_reply(200, openapi_index());
    case Endpoint::kOpenApiDoc: {
      if (!get) return method_not_allowed({"GET"});
      auto document = openapi_document(route.group_version);
      if (!document) return error_reply(ApiError::not_found("openapi " + route.group_version));
      return json_reply(200, *document);
    }
    case Endpoint::kCollection:
      if (get) return get_rendered(route, request, query, context);
      if (method == "POST") return create_object(route, body, context, validation);
      return method_not_allowed({"GET", "POST"});
    case Endpoint::kItem:
      if (get) return get_rendered(route, request, query, context);
      if (method == "PUT") return replace_object(route, body, context, validation);
      if (method == "PATCH") {
        return patch_object(route, request.content_type, body, context, validation);
      }
      if (method == "DELETE") return delete_object(route, query, body, context);
      return method_not_allowed({"GET", "PUT", "PATCH", "DELETE"});
    case Endpoint::kStatus:
      if (get) return get_object(route, context);
      if (method == "PUT") return replace_status(route, body, context, validation);
      if (method == "PATCH") {
        return patch_object(route, request.content_type, body, context, validation);
      }
      return method_not_allowed({"GET", "PUT", "PATCH"});
    case Endpoint::kScale:
      if (get) return get_scale(route, context);
      if (method == "PUT") return replace_scale(route, body, context);
      if (method == "PATCH") return patch_object(route, request.content_type, body, context);
      return method_not_allowed({"GET", "PUT", "PATCH"});
    case Endpoint::kLog:
      if (get) return get_log(route, query, context);
      return method_not_allowed({"GET"});
  }
  return error_reply(ApiError{500, "InternalError", "unhandled endpoint", {}});
}

}  // namespace

Reply dispatch(const Request& request, const ApiContext& context) {
  try {
    Target target = split_target(request.target);
    auto route = parse_route(target.path);
    if (!route) {
      return error_reply(
          ApiError{404, "NotFound", "the server could not find the requested resource", {}});
    }
    return serve(*route, request, target.query, target.path, context);
  } catch (const std::exception& e) {
    return error_reply(
        ApiError{500,
                 "InternalError",
                 std::string("internal error while serving the request: ") + e.what(),
                 {}});
  } catch (...) {
    return error_reply(
        ApiError{500, "InternalError", "internal error while serving the request", {}});
  }
}

}  // namespace skiff::api
