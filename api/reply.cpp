#include "api/reply.h"

#include "config/objects_json.h"

namespace skiff::api {

Reply json_reply(unsigned status, const nlohmann::json& body) {
  Reply reply;
  reply.status = status;
  // Replace invalid UTF-8 (object names come from clients) rather than throwing mid-reply.
  reply.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return reply;
}

Reply text_reply(unsigned status, std::string body) {
  Reply reply;
  reply.status = status;
  reply.content_type = "text/plain; charset=utf-8";
  reply.body = std::move(body);
  return reply;
}

Reply error_reply(const config::ApiError& error) {
  const unsigned status = error.code >= 400 && error.code <= 599 ? error.code : 500;
  return json_reply(status, config::status_to_json(error));
}

}  // namespace skiff::api
