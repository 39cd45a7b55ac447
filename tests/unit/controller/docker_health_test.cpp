// An image HEALTHCHECK's verdict as the docker engine reads it: from health_status events,
// from a container's inspect (with the latest check's output) and from the container list's
// Status text (what a relist after a lost event stream sees).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "controller/engine/docker_api.h"

using namespace skiff::controller::engine::docker;
using nlohmann::json;

TEST_CASE("health_status actions give a verdict, other actions none") {
  CHECK(health_verdict("health_status: healthy") == std::optional<bool>(true));
  CHECK(health_verdict("health_status: unhealthy") == std::optional<bool>(false));
  CHECK(health_verdict("health_status:unhealthy") == std::optional<bool>(false));
  CHECK_FALSE(health_verdict("health_status: starting"));
  CHECK_FALSE(health_verdict("health_status: "));
  CHECK_FALSE(health_verdict("health_status"));
  CHECK_FALSE(health_verdict("die"));
  CHECK_FALSE(health_verdict("exec_start: sh -c true"));
  CHECK_FALSE(health_verdict(""));
}

TEST_CASE("a health_status event line parses with its action and container") {
  const json line{{"Type", "container"},
                  {"Action", "health_status: unhealthy"},
                  {"Actor", {{"ID", "abc123"}, {"Attributes", {{"io.skiff.pod.uid", "u1"}}}}},
                  {"timeNano", 1764121200000000000}};
  auto ev = parse_event(line.dump());
  REQUIRE(ev);
  CHECK(ev->id == "abc123");
  CHECK(health_verdict(ev->action) == std::optional<bool>(false));
  CHECK_FALSE(ev->exit_code);
}

TEST_CASE("container inspect gives the health status and the latest check's output") {
  json c{{"Id", "abc"},
         {"State",
          {{"Status", "running"},
           {"Running", true},
           {"Health",
            {{"Status", "unhealthy"},
             {"FailingStreak", 3},
             {"Log",
              {{{"ExitCode", 0}, {"Output", "ok\n"}},
               {{"ExitCode", 1}, {"Output", "cat: can't open '/tmp/healthy'\n"}}}}}}}}};
  auto info = parse_container_inspect(c.dump());
  REQUIRE(info);
  CHECK(info->health == "unhealthy");
  CHECK(info->health_output == "cat: can't open '/tmp/healthy'\n");

  SECTION("no HEALTHCHECK: no verdict") {
    c["State"].erase("Health");
    auto none = parse_container_inspect(c.dump());
    REQUIRE(none);
    CHECK(none->health.empty());
    CHECK(none->health_output.empty());
  }
  SECTION("a malformed Health is ignored, not fatal") {
    c["State"]["Health"] = {{"Status", 7}, {"Log", "not a list"}};
    auto odd = parse_container_inspect(c.dump());
    REQUIRE(odd);
    CHECK(odd->health.empty());
    CHECK(odd->health_output.empty());
    c["State"]["Health"] = {{"Status", "starting"}, {"Log", json::array({1, 2})}};
    auto odd2 = parse_container_inspect(c.dump());
    REQUIRE(odd2);
    CHECK(odd2->health == "starting");
    CHECK(odd2->health_output.empty());
  }
}

TEST_CASE("the container list's Status text gives the health verdict") {
  const json list = json::array(
      {{{"Id", "a"}, {"State", "running"}, {"Status", "Up 3 minutes (unhealthy)"}},
       {{"Id", "b"}, {"State", "running"}, {"Status", "Up 3 minutes (healthy)"}},
       {{"Id", "c"}, {"State", "running"}, {"Status", "Up 2 seconds (health: starting)"}},
       {{"Id", "d"}, {"State", "running"}, {"Status", "Up 3 minutes"}},
       {{"Id", "e"}, {"State", "exited"}, {"Status", "Exited (137) 5 seconds ago"}},
       {{"Id", "f"}, {"State", "running"}}});
  auto parsed = parse_container_list(list.dump());
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 6);
  CHECK((*parsed)[0].health == "unhealthy");
  CHECK((*parsed)[1].health == "healthy");
  CHECK((*parsed)[2].health == "starting");
  CHECK((*parsed)[3].health.empty());
  CHECK((*parsed)[4].health.empty());
  CHECK((*parsed)[5].health.empty());
}
