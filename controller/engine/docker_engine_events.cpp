// The docker engine's /events watch: reconnect with back-off, relist on every (re)connect.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "controller/engine/docker_engine.h"

namespace skiff::controller::engine {
using boost::beast::http::verb;

std::string DockerEngine::health() const {
  return events_connected_ ? std::string() : "docker engine: " + events_down_reason_;
}

void DockerEngine::watch_events() {
  docker::Call c;
  c.method = verb::get;
  c.target = docker::versioned(
      "/events?filters=" +
      docker::query_escape(docker::filters(
          {std::string(docker::kLabelDaemon) + "=" + options_.daemon_id}, {"container"})));
  c.timeout = std::chrono::milliseconds(10000);  // connect and head
  c.body_idle = std::chrono::milliseconds(0);    // then events may be hours apart
  event_lines_ = docker::LineSplitter();
  events_ = client_.stream(
      std::move(c),
      [this, alive = alive_](int status) {
        if (!*alive || status != 200) return;
        // Subscribed: from here on no event is lost, so a relist now catches whatever
        // happened while the stream was down.
        events_connected_ = true;
        reconnect_delay_ = options_.reconnect_min;
        if (events_lost_logged_) spdlog::info("docker engine: event stream reconnected");
        events_lost_logged_ = false;
        relist();
      },
      [this, alive = alive_](std::string_view data) {
        if (!*alive) return;
        event_lines_.feed(data, [this](std::string_view line) { on_event_line(line); });
      },
      [this, alive = alive_](Result<docker::Reply> r) {
        if (!*alive) return;
        on_events_lost(!r                 ? r.error().message
                       : r->status != 200 ? docker::error_message(r->status, r->body)
                                          : "dockerd closed the event stream");
      });
}

void DockerEngine::on_events_lost(const std::string& why) {
  events_connected_ = false;
  events_down_reason_ = "event stream lost: " + why;
  events_.reset();
  if (!events_lost_logged_) {
    spdlog::warn("docker engine: event stream lost ({}); reconnecting with back-off", why);
    events_lost_logged_ = true;
  } else {
    spdlog::debug("docker engine: event stream: {}", why);
  }
  reconnect_timer_.expires_after(reconnect_delay_);
  reconnect_delay_ = std::min(reconnect_delay_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive) watch_events();
  });
}

void DockerEngine::on_event_line(std::string_view line) {
  auto ev = docker::parse_event(line);
  if (!ev) {
    spdlog::warn("docker engine: {}", ev.error().message);
    return;
  }
  if (ev->type != "container") return;
  spdlog::debug("docker engine: event {} {}", ev->action, ev->id.substr(0, 12));
  if (ev->action == "die") return on_died(ev->id, ev->exit_code);
  if (ev->action == "oom") {
    if (auto it = containers_.find(ev->id); it != containers_.end()) it->second.oom = true;
    return;
  }
  if (ev->action == "destroy") return on_died(ev->id, std::nullopt);
  if (ev->action.rfind("health_status", 0) == 0) {
    spdlog::debug("docker engine: container {} {}", ev->id.substr(0, 12), ev->action);
    on_health(ev->id, docker::health_verdict(ev->action));
  }
}

void DockerEngine::relist() {
  call(verb::get,
       "/containers/json?all=1&filters=" +
           docker::query_escape(
               docker::filters({std::string(docker::kLabelDaemon) + "=" + options_.daemon_id})),
       "", [this](Result<docker::Reply> r) {
         if (!r || r->status != 200) {
           spdlog::warn("docker engine: relist: {}",
                        !r ? r.error().message : docker::error_message(r->status, r->body));
           return;
         }
         auto list = docker::parse_container_list(r->body);
         if (!list) {
           spdlog::warn("docker engine: relist: {}", list.error().message);
           return;
         }
         std::map<std::string, const docker::ContainerInfo*> listed;
         for (const auto& c : *list) listed[c.id] = &c;
         // Deaths and HEALTHCHECK verdicts while the stream was down: dockerd announces
         // each only once.
         std::vector<std::string> dead, health;
         for (const auto& [id, c] : containers_) {
           if (c.exited || c.starting) continue;
           auto it = listed.find(id);
           if (it == listed.end() || !it->second->running) {
             dead.push_back(id);
           } else if ((it->second->health == "healthy" || it->second->health == "unhealthy") &&
                      it->second->health != c.health) {
             health.push_back(id);
           }
         }
         for (const auto& id : dead) on_died(id, std::nullopt);
         for (const auto& id : health) on_health(id, std::nullopt);
         std::vector<std::string> dead_sandboxes;
         for (const auto& [id, s] : sandboxes_) {
           auto it = listed.find(id);
           if (!s.dead && (it == listed.end() || !it->second->running)) {
             dead_sandboxes.push_back(id);
           }
         }
         for (const auto& id : dead_sandboxes) on_sandbox_died(id);
       });
}

}  // namespace skiff::controller::engine
