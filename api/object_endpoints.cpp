#include "api/object_endpoints.h"

#include <algorithm>
#include <limits>

#include "api/json_body.h"
#include "api/scale.h"
#include "api/selectors.h"
#include "config/kinds.h"
#include "config/manifest.h"
#include "config/objects_json.h"
#include "controller/rfc3339.h"

namespace skiff::api {
namespace {

using config::ApiError;
using config::Result;
using nlohmann::json;

// `deployments.apps "web"`, as Kubernetes names an object in messages.
std::string object_ref(config::Kind kind, const std::string& name) {
  const auto& info = config::kind_info(kind);
  std::string resource(info.resource);
  const auto slash = info.api_version.find('/');
  if (slash != std::string_view::npos) {
    resource += '.';
    resource += info.api_version.substr(0, slash);
  }
  return resource + " \"" + name + "\"";
}

ApiError not_found(const Route& route) {
  return ApiError::not_found(object_ref(route.kind, route.name));
}

Result<json> parse_json(const std::string& body) {
  if (body.empty()) return ApiError::bad_request("the request body is empty; expected JSON");
  return parse_json_body(body, "JSON body");
}

Result<uint64_t> parse_uint(const std::string& name, const std::string& text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return ApiError::bad_request(name + ": invalid value \"" + text +
                                 "\": expected a non-negative integer");
  }
  return static_cast<uint64_t>(std::stoull(text));
}

struct Decoded {
  config::Object object;
  std::vector<std::string> warnings;
};

// A create/update body into a validated object for the route: the kind must be the path's
// (filled in when absent), the namespace must not contradict the path's, and for items the
// name must be the path's. Validation errors are Invalid (422) with one cause per error.
// Unknown fields are treated as `validation` says (Strict: 400 before any other check).
Result<Decoded> decode_body(const Route& route, const std::string& body, bool item,
                            FieldValidation validation) {
  auto parsed = parse_json(body);
  if (!parsed) return parsed.error();
  json doc = std::move(parsed.value());
  const auto& info = config::kind_info(route.kind);
  const std::vector<std::string> duplicates =
      validation == FieldValidation::kIgnore ? std::vector<std::string>() : duplicate_fields(body);
  if (!doc.is_object()) {
    return ApiError::bad_request("the request body must be a JSON object, got " +
                                 std::string(doc.type_name()));
  }
  if (!doc.contains("kind")) doc["kind"] = info.name;
  if (!doc.contains("apiVersion")) doc["apiVersion"] = info.api_version;
  if (!doc["kind"].is_string() || doc["kind"].get_ref<const std::string&>() != info.name) {
    return ApiError::bad_request("the kind in the body (" + doc["kind"].dump() +
                                 ") does not match the resource in the path (" +
                                 std::string(info.resource) + ", kind " + std::string(info.name) +
                                 ")");
  }
  if (!doc["apiVersion"].is_string() ||
      doc["apiVersion"].get_ref<const std::string&>() != info.api_version) {
    return ApiError::bad_request("the API version in the data (" + doc["apiVersion"].dump() +
                                 ") does not match the expected API version (" +
                                 std::string(info.api_version) + ")");
  }
  if (!doc.contains("metadata") || doc["metadata"].is_null()) doc["metadata"] = json::object();
  json& md = doc["metadata"];
  if (!md.is_object()) return ApiError::bad_request("metadata: expected an object");
  if (auto ns = md.find("namespace"); ns != md.end() && !ns->is_null()) {
    if (!ns->is_string()) return ApiError::bad_request("metadata.namespace: expected a string");
    const auto& given = ns->get_ref<const std::string&>();
    if (!given.empty() && given != route.ns) {
      return ApiError::bad_request("the namespace of the provided object (" + given +
                                   ") does not match the namespace sent on the request (" +
                                   route.ns + ")");
    }
  }
  if (info.namespaced) {
    md["namespace"] = route.ns;
  } else {
    md.erase("namespace");  // cluster-scoped: a namespace in the body means nothing
  }
  if (item) {
    if (auto name = md.find("name");
        name == md.end() || name->is_null() ||
        (name->is_string() && name->get_ref<const std::string&>().empty())) {
      md["name"] = route.name;
    } else if (!name->is_string() || name->get_ref<const std::string&>() != route.name) {
      return ApiError::bad_request("the name of the object (" +
                                   (name->is_string() ? name->get<std::string>() : name->dump()) +
                                   ") does not match the name on the URL (" + route.name + ")");
    }
  }

  const config::LoadResult loaded = config::decode_object(doc);
  Decoded out;
  std::vector<config::StatusCause> causes;
  std::vector<config::Diagnostic> warnings;
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kWarning) {
      warnings.push_back(d);
    } else {
      causes.push_back({d.field, "FieldValueInvalid", d.to_string()});
    }
  }
  const auto api_version = info.api_version;
  const auto slash = api_version.find('/');
  auto sent =
      field_warnings(duplicates, warnings, validation, info.name,
                     slash == std::string_view::npos ? api_version : api_version.substr(slash + 1));
  if (!sent) return sent.error();
  out.warnings = std::move(sent.value());
  if (!loaded.ok() || loaded.objects.size() != 1) {
    std::string name = md.contains("name") && md["name"].is_string() ? md["name"].get<std::string>()
                                                                     : std::string();
    std::string message = std::string(info.name) + " \"" + name + "\" is invalid: ";
    if (causes.size() == 1) {
      message += causes.front().message;
    } else {
      message += "[";
      for (size_t i = 0; i < causes.size(); ++i) message += (i ? ", " : "") + causes[i].message;
      message += "]";
    }
    if (causes.empty()) message += "the object could not be decoded";
    return ApiError::invalid(message, std::move(causes));
  }
  out.object = loaded.objects.front();
  return out;
}

Reply object_reply(unsigned status, const config::ObjectPtr& object,
                   std::vector<std::string> warnings = {}) {
  Reply reply = json_reply(status, config::to_json(*object));
  reply.warnings = std::move(warnings);
  return reply;
}

// A query parameter as Go's strconv.ParseBool reads it (the API server's decoding).
Result<bool> parse_bool(const std::string& name, const std::string& text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" ||
      text == "False") {
    return false;
  }
  return ApiError::bad_request(name + ": invalid value \"" + text + "\": expected true or false");
}

Result<int64_t> parse_int(const std::string& name, const std::string& text) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return ApiError::bad_request(name + ": invalid value \"" + text + "\": expected an integer");
  }
  const int64_t value = std::stoll(digits);
  return negative ? -value : value;
}

// PodLogOptions from the query: decoding errors are 400 BadRequest, values out of range 422
// Invalid (`PodLogOptions "web-1" is invalid: tailLines: Invalid value: -1: ...`), as the API
// server answers them.
struct LogQuery {
  controller::engine::LogOptions options;
  std::string container;
  std::optional<uint64_t> limit_bytes;
};

Result<LogQuery> parse_log_query(const std::string& pod, const Query& query) {
  LogQuery out;
  auto flag = [&](const char* name, bool& into) -> std::optional<ApiError> {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    auto value = parse_bool(name, it->second);
    if (!value) return value.error();
    into = *value;
    return std::nullopt;
  };
  for (auto [name, into] :
       {std::pair{"previous", &out.options.previous}, std::pair{"follow", &out.options.follow},
        std::pair{"timestamps", &out.options.timestamps}}) {
    if (auto e = flag(name, *into)) return *e;
  }
  std::vector<std::string> invalid;
  auto number = [&](const char* name, int64_t min,
                    const char* rule) -> Result<std::optional<int64_t>> {
    auto it = query.find(name);
    if (it == query.end()) return std::optional<int64_t>();
    auto value = parse_int(name, it->second);
    if (!value) return value.error();
    if (*value < min) {
      invalid.push_back(std::string(name) + ": Invalid value: " + std::to_string(*value) + ": " +
                        rule);
    }
    return std::optional<int64_t>(*value);
  };
  auto tail = number("tailLines", 0, "must be greater than or equal to 0");
  if (!tail) return tail.error();
  auto since_seconds = number("sinceSeconds", 1, "must be greater than 0");
  if (!since_seconds) return since_seconds.error();
  auto limit = number("limitBytes", 1, "must be greater than 0");
  if (!limit) return limit.error();
  std::optional<std::chrono::system_clock::time_point> since_time;
  if (auto it = query.find("sinceTime"); it != query.end()) {
    since_time = controller::parse_rfc3339(it->second);
    // The clock counts nanoseconds in 64 bits: years past 2261 would wrap around.
    if (since_time && std::atoi(it->second.substr(0, 4).c_str()) > 2261) since_time.reset();
    if (!since_time) {
      return ApiError::bad_request("sinceTime: invalid value \"" + it->second +
                                   "\": expected an RFC 3339 time (2006-01-02T15:04:05Z)");
    }
  }
  if (since_time && *since_seconds) {
    invalid.push_back("at most one of `sinceTime` or `sinceSeconds` may be specified");
  }
  if (!invalid.empty()) {
    std::string message = "PodLogOptions \"" + pod + "\" is invalid: ";
    for (size_t i = 0; i < invalid.size(); ++i) message += (i ? ", " : "") + invalid[i];
    return ApiError::invalid(message);
  }
  if (*tail) out.options.tail_lines = static_cast<uint64_t>(**tail);
  if (*limit) out.limit_bytes = static_cast<uint64_t>(**limit);
  if (*since_seconds) {
    out.options.since = std::chrono::system_clock::now() - std::chrono::seconds(**since_seconds);
  }
  if (since_time) out.options.since = since_time;
  if (auto it = query.find("container"); it != query.end()) out.container = it->second;
  return out;
}

}  // namespace

Reply list_objects(const Route& route, const Query& query, const ApiContext& context,
                   const Rendering& rendering) {
  WatchFilter filter;
  filter.kind = route.kind;
  filter.ns = route.ns;
  if (auto it = query.find("labelSelector"); it != query.end()) {
    auto labels = parse_label_selector(it->second);
    if (!labels) return error_reply(labels.error());
    filter.labels = std::move(labels.value());
  }
  if (auto it = query.find("fieldSelector"); it != query.end()) {
    auto fields = parse_field_selector(it->second);
    if (!fields) return error_reply(fields.error());
    filter.fields = std::move(fields.value());
  }
  auto watch = query.find("watch");
  if (watch != query.end() &&
      (watch->second == "true" || watch->second == "1" || watch->second.empty())) {
    filter.table = rendering;  // kubectl get -w: one-row Tables
    WatchRequest request{std::move(filter), std::nullopt};
    if (auto rv = query.find("resourceVersion"); rv != query.end() && !rv->second.empty()) {
      auto since = parse_uint("resourceVersion", rv->second);
      if (!since) return error_reply(since.error());
      if (*since != 0) request.since = *since;
    }
    Reply reply;
    reply.watch = std::move(request);
    return reply;
  }
  std::vector<config::ObjectPtr> items;
  for (auto& object : context.store.list(route.kind, route.ns)) {
    if (watch_matches(filter, *object)) items.push_back(std::move(object));
  }
  if (rendering) {
    return json_reply(
        200, table_json(route.kind, items, std::to_string(context.store.resource_version()),
                        *rendering, std::time(nullptr)));
  }
  return json_reply(200, config::list_to_json(route.kind, items, context.store.resource_version()));
}

Reply create_object(const Route& route, const std::string& body, const ApiContext& context,
                    FieldValidation validation) {
  if (route.ns.empty() && config::kind_info(route.kind).namespaced) {
    return error_reply(ApiError{405,
                                "MethodNotAllowed",
                                "objects are created in a namespace: POST to " +
                                    config::collection_path(route.kind, "default"),
                                {}});
  }
  auto decoded = decode_body(route, body, false, validation);
  if (!decoded) return error_reply(decoded.error());
  config::meta(decoded->object).resource_version = 0;
  auto created = context.store.create(std::move(decoded->object));
  if (!created) return error_reply(created.error());
  return object_reply(201, created.value(), std::move(decoded->warnings));
}

Reply get_object(const Route& route, const ApiContext& context, const Rendering& rendering) {
  auto object = context.store.get(route.kind, route.ns, route.name);
  if (!object) return error_reply(not_found(route));
  if (rendering) {
    return json_reply(200, table_json(route.kind, {object},
                                      std::to_string(config::meta(*object).resource_version),
                                      *rendering, std::time(nullptr)));
  }
  return object_reply(200, object);
}

Reply replace_object(const Route& route, const std::string& body, const ApiContext& context,
                     FieldValidation validation) {
  auto decoded = decode_body(route, body, true, validation);
  if (!decoded) return error_reply(decoded.error());
  auto updated = context.store.update(std::move(decoded->object));
  if (!updated) return error_reply(updated.error());
  return object_reply(200, updated.value(), std::move(decoded->warnings));
}

Reply replace_status(const Route& route, const std::string& body, const ApiContext& context,
                     FieldValidation validation) {
  auto decoded = decode_body(route, body, true, validation);
  if (!decoded) return error_reply(decoded.error());
  auto updated = context.store.update_status(decoded->object);
  if (!updated) return error_reply(updated.error());
  return object_reply(200, updated.value(), std::move(decoded->warnings));
}

Reply delete_object(const Route& route, const Query& query, const std::string& body,
                    const ApiContext& context) {
  std::optional<int64_t> grace;
  if (!body.empty()) {
    auto options = parse_json(body);
    if (!options) return error_reply(options.error());
    if (!options->is_null()) {
      if (!options->is_object()) {
        return error_reply(ApiError::bad_request("DeleteOptions must be a JSON object"));
      }
      if (auto g = options->find("gracePeriodSeconds"); g != options->end() && !g->is_null()) {
        if (!g->is_number_integer() || g->get<int64_t>() < 0) {
          return error_reply(ApiError::bad_request(
              "DeleteOptions.gracePeriodSeconds: expected a non-negative integer"));
        }
        grace = g->get<int64_t>();
      }
    }
  }
  if (auto it = query.find("gracePeriodSeconds"); it != query.end()) {
    auto value = parse_uint("gracePeriodSeconds", it->second);
    if (!value) return error_reply(value.error());
    if (*value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return error_reply(ApiError::bad_request("gracePeriodSeconds: value out of range"));
    }
    grace = static_cast<int64_t>(*value);
  }
  auto removed = context.store.remove(route.kind, route.ns, route.name, grace);
  if (!removed) return error_reply(removed.error());
  const config::ObjectPtr& object = removed.value();
  // A pod marked for graceful deletion is still there: answer with it, as Kubernetes does,
  // so the client sees deletionTimestamp.
  if (object && config::meta(*object).deletion_timestamp &&
      context.store.get(route.kind, route.ns, route.name)) {
    return object_reply(200, object);
  }
  json status = config::success_status_json();
  status["details"] = {{"name", route.name},
                       {"kind", config::kind_info(route.kind).resource},
                       {"uid", object ? config::meta(*object).uid : std::string()}};
  const auto& group = config::kind_info(route.kind).api_version;
  if (auto slash = group.find('/'); slash != std::string_view::npos) {
    status["details"]["group"] = group.substr(0, slash);
  }
  return json_reply(200, status);
}

Reply get_scale(const Route& route, const ApiContext& context) {
  auto object = context.store.get(route.kind, route.ns, route.name);
  if (!object) return error_reply(not_found(route));
  return json_reply(200, scale_to_json(*object));
}

Reply replace_scale(const Route& route, const std::string& body, const ApiContext& context) {
  auto parsed = parse_json(body);
  if (!parsed) return error_reply(parsed.error());
  auto change = scale_from_json(*parsed);
  if (!change) return error_reply(change.error());
  auto current = context.store.get(route.kind, route.ns, route.name);
  if (!current) return error_reply(not_found(route));
  auto updated = context.store.update(apply_scale(*current, *change));
  if (!updated) return error_reply(updated.error());
  return json_reply(200, scale_to_json(*updated.value()));
}

Reply get_log(const Route& route, const Query& query, const ApiContext& context) {
  auto object = context.store.get(config::Kind::kPod, route.ns, route.name);
  const auto* pod = controller::as<config::Pod>(object);
  if (!pod) return error_reply(not_found(route));
  auto parsed = parse_log_query(route.name, query);
  if (!parsed) return error_reply(parsed.error());
  std::string container = parsed->container;
  if (!container.empty()) {
    const auto& cs = pod->spec.containers;
    if (std::none_of(cs.begin(), cs.end(), [&](const auto& c) { return c.name == container; })) {
      return error_reply(
          ApiError::bad_request("container " + container + " is not valid for pod " + route.name));
    }
  } else if (pod->spec.containers.size() == 1) {
    container = pod->spec.containers.front().name;
  } else {
    std::string names;
    for (const auto& c : pod->spec.containers) names += (names.empty() ? "" : " ") + c.name;
    return error_reply(ApiError::bad_request("a container name must be specified for pod " +
                                             route.name + ", choose one of: [" + names + "]"));
  }
  if (!context.engine) {
    return error_reply(ApiError{
        503, "ServiceUnavailable", "no container engine is attached to this API server", {}});
  }
  auto stream = context.engine->open_log(pod->metadata.uid, container, parsed->options);
  if (!stream) return error_reply(stream.error());
  Reply reply = text_reply(200, {});
  reply.log = std::move(stream.value());
  reply.log_limit_bytes = parsed->limit_bytes;
  return reply;
}

}  // namespace skiff::api
