#include "api/routes.h"

#include <catch2/catch.hpp>

using skiff::api::Endpoint;
using skiff::api::parse_route;
using skiff::api::split_target;
using skiff::config::Kind;

TEST_CASE("core and apps object paths route to their kind, namespace and name") {
  auto pods = parse_route("/api/v1/namespaces/default/pods");
  REQUIRE(pods);
  CHECK(pods->endpoint == Endpoint::kCollection);
  CHECK(pods->kind == Kind::kPod);
  CHECK(pods->ns == "default");

  auto deploy = parse_route("/apis/apps/v1/namespaces/prod/deployments/web");
  REQUIRE(deploy);
  CHECK(deploy->endpoint == Endpoint::kItem);
  CHECK(deploy->kind == Kind::kDeployment);
  CHECK(deploy->ns == "prod");
  CHECK(deploy->name == "web");

  auto svc = parse_route("/api/v1/namespaces/default/services/front/status");
  REQUIRE(svc);
  CHECK(svc->endpoint == Endpoint::kStatus);
  CHECK(svc->kind == Kind::kService);

  auto scale = parse_route("/apis/apps/v1/namespaces/default/replicasets/web-5d8f/scale");
  REQUIRE(scale);
  CHECK(scale->endpoint == Endpoint::kScale);
  CHECK(scale->kind == Kind::kReplicaSet);
  CHECK(scale->name == "web-5d8f");

  auto log = parse_route("/api/v1/namespaces/default/pods/web-abc/log");
  REQUIRE(log);
  CHECK(log->endpoint == Endpoint::kLog);
  CHECK(log->name == "web-abc");

  auto eps = parse_route("/api/v1/namespaces/default/endpoints/front");
  REQUIRE(eps);
  CHECK(eps->kind == Kind::kEndpoints);
}

TEST_CASE("a cluster-scoped kind has items without a namespace") {
  auto nodes = parse_route("/api/v1/nodes");
  REQUIRE(nodes);
  CHECK(nodes->endpoint == Endpoint::kCollection);
  CHECK(nodes->kind == Kind::kNode);
  auto node = parse_route("/api/v1/nodes/skiff");
  REQUIRE(node);
  CHECK(node->endpoint == Endpoint::kItem);
  CHECK(node->name == "skiff");
  CHECK(node->ns.empty());
  auto status = parse_route("/api/v1/nodes/skiff/status");
  REQUIRE(status);
  CHECK(status->endpoint == Endpoint::kStatus);
  // A namespaced kind still needs its namespace for an item.
  CHECK_FALSE(parse_route("/api/v1/configmaps/settings"));
  auto cm = parse_route("/api/v1/namespaces/default/configmaps/settings");
  REQUIRE(cm);
  CHECK(cm->kind == Kind::kConfigMap);
}

TEST_CASE("all-namespace lists have an empty namespace") {
  auto pods = parse_route("/api/v1/pods");
  REQUIRE(pods);
  CHECK(pods->endpoint == Endpoint::kCollection);
  CHECK(pods->kind == Kind::kPod);
  CHECK(pods->ns.empty());
  auto rs = parse_route("/apis/apps/v1/replicasets");
  REQUIRE(rs);
  CHECK(rs->kind == Kind::kReplicaSet);
  CHECK(rs->ns.empty());
}

TEST_CASE("health, version and discovery paths") {
  CHECK(parse_route("/healthz")->endpoint == Endpoint::kHealthz);
  CHECK(parse_route("/livez")->endpoint == Endpoint::kHealthz);
  CHECK(parse_route("/readyz")->endpoint == Endpoint::kReadyz);
  auto one = parse_route("/readyz/store");
  REQUIRE(one);
  CHECK(one->check == "store");
  CHECK(parse_route("/version")->endpoint == Endpoint::kVersion);
  CHECK(parse_route("/api")->endpoint == Endpoint::kApiVersions);
  CHECK(parse_route("/apis")->endpoint == Endpoint::kApiGroups);
  auto core = parse_route("/api/v1");
  REQUIRE(core);
  CHECK(core->endpoint == Endpoint::kResourceList);
  CHECK(core->group_version == "v1");
  CHECK(parse_route("/apis/apps/v1")->group_version == "apps/v1");
}

TEST_CASE("paths that name nothing skiff serves are rejected") {
  const char* bad[] = {
      "",
      "/",
      "api/v1/pods",                                        // not absolute
      "/api/v2/pods",                                       // unknown version
      "/apis/apps/v1/namespaces/default/pods",              // pods are core, not apps
      "/api/v1/namespaces/default/deployments",             // deployments are apps
      "/api/v1/namespaces/default/persistentvolumeclaims",  // unknown resource
      "/api/v1/namespaces/default/nodes",                   // nodes are cluster-scoped
      "/api/v1/namespaces/default/nodes/skiff",
      "/api/v1/namespaces/default/pods/web/scale",          // pods have no scale
      "/api/v1/namespaces/default/endpoints/front/status",  // endpoints have no status
      "/apis/apps/v1/namespaces/default/deployments/web/log",
      "/api/v1/namespaces/default/pods/web/log/extra",
      "/api/v1/namespaces//pods",          // empty segment
      "/api/v1/namespaces/default/pods/",  // trailing slash
      "/api/v1/pods/web",                  // items need a namespace
      "/api/v1/namespaces/default",        // namespaces are not served
      "/api/v1/namespaces/default/pods/..",
      "/api/v1/namespaces/default/pods/a%2Fb",  // decodes to a slash
      "/metricsz",
      "/readyz/a/b",
  };
  for (const char* path : bad) {
    INFO(path);
    CHECK_FALSE(parse_route(path));
  }
}

TEST_CASE("path segments are percent-decoded") {
  auto route = parse_route("/api/v1/namespaces/default/pods/web%2D1");
  REQUIRE(route);
  CHECK(route->name == "web-1");
}

TEST_CASE("split_target separates and decodes the query") {
  auto t = split_target("/api/v1/pods?labelSelector=app%3Dweb%2Ctier%21%3Ddb&watch=true&x");
  CHECK(t.path == "/api/v1/pods");
  CHECK(t.query.at("labelSelector") == "app=web,tier!=db");
  CHECK(t.query.at("watch") == "true");
  CHECK(t.query.at("x").empty());
  CHECK(split_target("/healthz").query.empty());
  CHECK(split_target("/a?q=a+b%zz").query.at("q") == "a b%zz");
}
