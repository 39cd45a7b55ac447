#include "controller/service_table_sync.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;

TEST_CASE("the first sync publishes, later changes within the interval coalesce") {
  boost::asio::io_context io;
  Store store;
  ServiceTableSource source;
  int publications = 0;
  source.subscribe([&](const ServiceTablePtr&) { ++publications; });
  REQUIRE(store.create(config::Object(testing::make_service("a", {{"app", "a"}}))).ok());
  ServiceTableSync sync(io, store, source, std::chrono::milliseconds(150));
  sync.start();
  io.poll();
  REQUIRE(publications == 1);
  CHECK(source.current()->services.size() == 1);
  auto first_version = source.current()->version;

  // Two changes right after a sync: one later publication holding both.
  REQUIRE(store.create(config::Object(testing::make_service("b", {{"app", "b"}}))).ok());
  REQUIRE(store.create(config::Object(testing::make_service("c", {{"app", "c"}}))).ok());
  io.restart();
  io.poll();
  CHECK(publications == 1);  // rate-limited: not yet
  io.restart();
  io.run_for(std::chrono::milliseconds(1000));  // returns once the timer fired and ran
  CHECK(publications == 2);
  CHECK(source.current()->services.size() == 3);
  CHECK(source.current()->version == first_version + 1);
  CHECK(sync.syncs() == 2);
}

TEST_CASE("a sync with no visible change publishes nothing") {
  boost::asio::io_context io;
  Store store;
  ServiceTableSource source;
  ServiceTableSync sync(io, store, source, std::chrono::milliseconds(0));
  sync.start();
  io.poll();
  auto svc = testing::make_service("a", {{"app", "a"}});
  REQUIRE(store.create(config::Object(svc)).ok());
  io.restart();
  io.poll();
  auto version = source.current()->version;
  svc.metadata.labels["x"] = "y";  // labels are not in the table
  REQUIRE(store.update(config::Object(svc)).ok());
  io.restart();
  io.poll();
  CHECK(source.current()->version == version);
  svc.metadata.annotations["skiff.io/balance"] = "round-robin";  // annotations are
  REQUIRE(store.update(config::Object(svc)).ok());
  io.restart();
  io.poll();
  CHECK(source.current()->version == version + 1);
  REQUIRE(store.remove(Kind::kService, "default", "a").ok());
  io.restart();
  io.poll();
  CHECK(source.current()->find("default", "a") == nullptr);
}
