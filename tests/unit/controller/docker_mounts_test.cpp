// A container's volume mounts in the Docker Engine API's create body.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "controller/engine/docker_api.h"

using namespace skiff::controller::engine;
using namespace skiff::controller::engine::docker;
using nlohmann::json;

TEST_CASE("volume mounts become binds, read-only where asked", "[volumes][docker]") {
  ContainerRequest r;
  r.pod_uid = "uid-1";
  r.pod_name = "web-1";
  r.pod_namespace = "default";
  r.container_name = "app";
  r.image = "busybox:1";
  r.argv = {"sh"};
  SECTION("none: no Mounts at all") {
    const json body = json::parse(container_create_body(r, "d", "sb"));
    CHECK_FALSE(body["HostConfig"].contains("Mounts"));
  }
  SECTION("each mount in order") {
    r.mounts = {
        Mount{"/state/pods/uid-1/volumes/kubernetes.io~empty-dir/fast", "/cache", false, true},
        Mount{"/state/pods/uid-1/volumes/kubernetes.io~configmap/cfg", "/etc/app", true, false}};
    const json body = json::parse(container_create_body(r, "d", "sb"));
    const json& m = body["HostConfig"]["Mounts"];
    REQUIRE(m.size() == 2);
    CHECK(m[0]["Type"] == "bind");
    CHECK(m[0]["Source"] == "/state/pods/uid-1/volumes/kubernetes.io~empty-dir/fast");
    CHECK(m[0]["Target"] == "/cache");
    CHECK(m[0]["ReadOnly"] == false);
    CHECK(m[1]["Target"] == "/etc/app");
    CHECK(m[1]["ReadOnly"] == true);
    CHECK(m[1]["BindOptions"]["Propagation"] == "rprivate");
  }
}
