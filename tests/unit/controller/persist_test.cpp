// The state directory: the framing of its files, and a store that comes back from it whole.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <variant>

#include "controller/engine/container_record.h"
#include "controller/object_file.h"
#include "controller/store.h"
#include "controller/store_persistence.h"
#include "object_builders.h"

using namespace skiff;
using namespace skiff::controller;
using skiff::controller::testing::make_deployment;
using skiff::controller::testing::make_pod;
using skiff::controller::testing::make_service;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "skiff-persist-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

std::string payload_of(const std::string& framed) {
  auto r = unframe_state_file(framed);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

std::string error_of(const std::string& framed) {
  auto r = unframe_state_file(framed);
  REQUIRE(std::holds_alternative<UnframeError>(r));
  return std::get<UnframeError>(r).message;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

TEST_CASE("a framed state file reads back exactly") {
  for (std::string payload :
       {std::string(), std::string("{}"), std::string("a\nb\n\0c", 6), std::string(100000, 'x')}) {
    CHECK(payload_of(frame_state_file(payload)) == payload);
  }
  CHECK(frame_state_file("{}").starts_with("skiff-state/1 2 "));
}

TEST_CASE("every truncation of a framed file is refused, never read half") {
  const std::string framed = frame_state_file(R"({"kind":"Pod","metadata":{"name":"web"}})");
  for (size_t n = 0; n < framed.size(); ++n) {
    INFO("cut at " << n);
    CHECK_FALSE(error_of(framed.substr(0, n)).empty());
  }
  CHECK_THAT(error_of(framed.substr(0, framed.size() - 5)),
             Catch::Matchers::Contains("truncated: the header announces"));
  CHECK(error_of("") == "empty file (a write that never completed)");
}

TEST_CASE("a flipped bit anywhere in a framed file is refused") {
  const std::string framed = frame_state_file(R"({"spec":{"replicas":3}})");
  for (size_t i = 0; i < framed.size(); ++i) {
    for (int bit : {0, 3, 6}) {
      std::string damaged = framed;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      INFO("byte " << i << " bit " << bit);
      CHECK(std::holds_alternative<UnframeError>(unframe_state_file(damaged)));
    }
  }
  std::string damaged = framed;
  damaged[damaged.size() - 3] = '4';
  CHECK_THAT(error_of(damaged), Catch::Matchers::Contains("checksum mismatch"));
  CHECK_THAT(error_of(framed + "extra"), Catch::Matchers::Contains("5 bytes after"));
  CHECK_THAT(error_of("{\"kind\":\"Pod\"}"), Catch::Matchers::Contains("not a skiff state file"));
}

TEST_CASE("object names become safe path components") {
  CHECK(path_component("web-7d4b9c.1") == "web-7d4b9c.1");
  CHECK(path_component("..") == "%2E.");
  CHECK(path_component(".hidden") == "%2Ehidden");
  CHECK(path_component("a/b") == "a%2Fb");
  CHECK(path_component("Web") == "%57eb");
  CHECK(path_component("") == "%00");
  CHECK(path_component("%2F") != path_component("/"));
}

TEST_CASE("a durable write replaces the file whole with mode 0600") {
  TempDir dir;
  const fs::path p = dir.path / "a" / "b" / "obj.json";
  REQUIRE_FALSE(write_file_durably(p, "one"));
  REQUIRE_FALSE(write_file_durably(p, "two"));
  CHECK(slurp(p) == "two");
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir.path / "a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // No temp file is left behind.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(p.parent_path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 1);
  REQUIRE_FALSE(remove_file_durably(p));
  CHECK_FALSE(fs::exists(p));
  CHECK_FALSE(remove_file_durably(p));  // already gone: fine
}

TEST_CASE("a store restored from its state dir has every object, uid and timestamp kept") {
  TempDir dir;
  StatePersistence disk(dir.path);
  Store first([] { return std::string("2026-11-25T21:00:00Z"); });
  first.set_persistence(&disk);
  auto d = first.create(config::Object(make_deployment("web", 2)));
  REQUIRE(d.ok());
  config::Pod pod = make_pod("web-1", {{"app", "web"}}, "127.245.0.2", true);
  pod.metadata.uid.clear();
  auto p = first.create(config::Object(pod));
  REQUIRE(p.ok());
  config::Pod with_status = *as<config::Pod>(*p);
  with_status.status.container_statuses.push_back(config::ContainerStatus{});
  with_status.status.container_statuses[0].name = "app";
  with_status.status.container_statuses[0].restart_count = 4;
  REQUIRE(first.update_status(config::Object(with_status)).ok());
  REQUIRE(first.create(config::Object(make_service("web", {{"app", "web"}}))).ok());
  REQUIRE(first.create(config::Object(make_pod("gone", {}))).ok());
  REQUIRE(first.remove(config::Kind::kPod, "default", "gone", 0).ok());
  const uint64_t last = first.resource_version();

  auto loaded = disk.load();
  CHECK(loaded.refused.empty());
  CHECK(loaded.objects.size() == 3);
  CHECK(loaded.resource_version == last);  // the delete's version is not reused

  Store second;
  second.restore(std::move(loaded.objects), loaded.resource_version);
  for (config::Kind kind :
       {config::Kind::kPod, config::Kind::kDeployment, config::Kind::kService}) {
    for (const auto& obj : first.list(kind)) {
      auto again = second.get(kind, "default", config::meta(*obj).name);
      REQUIRE(again);
      CHECK(*again == *obj);  // uid, resourceVersion, timestamps, status: all of it
    }
  }
  CHECK(second.get(config::Kind::kPod, "default", "gone") == nullptr);
  const auto* restored = as<config::Pod>(second.get(config::Kind::kPod, "default", "web-1"));
  REQUIRE(restored);
  CHECK(restored->status.container_statuses.at(0).restart_count == 4);

  // The sequence continues after the restart.
  second.set_persistence(&disk);
  auto next = second.create(config::Object(make_pod("new", {})));
  REQUIRE(next.ok());
  CHECK(config::meta(**next).resource_version == last + 1);
}

TEST_CASE("a damaged object file is quarantined with its path and reason, the rest loads") {
  TempDir dir;
  StatePersistence disk(dir.path);
  Store store;
  store.set_persistence(&disk);
  REQUIRE(store.create(config::Object(make_deployment("good", 1))).ok());
  REQUIRE(store.create(config::Object(make_deployment("torn", 1))).ok());
  REQUIRE(store.create(config::Object(make_deployment("flipped", 1))).ok());
  const fs::path torn = disk.path_of(config::Kind::kDeployment, "default", "torn");
  const fs::path flipped = disk.path_of(config::Kind::kDeployment, "default", "flipped");
  std::string bytes = slurp(torn);
  spit(torn, bytes.substr(0, bytes.size() / 2));
  bytes = slurp(flipped);
  bytes[bytes.size() - 10] ^= 0x20;
  spit(flipped, bytes);
  // A temp file of a write that never got renamed.
  spit(torn.parent_path() / ".good.json.abc.tmp", "partial");

  auto loaded = disk.load();
  REQUIRE(loaded.objects.size() == 1);
  CHECK(config::meta(loaded.objects[0]).name == "good");
  REQUIRE(loaded.refused.size() == 2);
  CHECK_THAT(loaded.refused[0], Catch::Matchers::StartsWith(flipped.string() + ": checksum"));
  CHECK_THAT(loaded.refused[1], Catch::Matchers::StartsWith(torn.string() + ": truncated"));
  CHECK_THAT(loaded.refused[1], Catch::Matchers::Contains("moved to torn.json.corrupt-"));
  CHECK_FALSE(fs::exists(torn));
  CHECK_FALSE(fs::exists(torn.parent_path() / ".good.json.abc.tmp"));
  // Moved aside once: the next load is clean.
  auto again = disk.load();
  CHECK(again.refused.empty());
  CHECK(again.objects.size() == 1);
}

TEST_CASE("a file that holds another object than its path names is refused") {
  TempDir dir;
  StatePersistence disk(dir.path);
  Store store;
  store.set_persistence(&disk);
  REQUIRE(store.create(config::Object(make_deployment("a", 1))).ok());
  const fs::path a = disk.path_of(config::Kind::kDeployment, "default", "a");
  fs::copy_file(a, disk.path_of(config::Kind::kDeployment, "default", "b"));
  auto loaded = disk.load();
  CHECK(loaded.objects.size() == 1);
  REQUIRE(loaded.refused.size() == 1);
  CHECK_THAT(loaded.refused[0], Catch::Matchers::Contains("holds default/a"));
}

TEST_CASE("a write that cannot reach the disk is refused and changes nothing") {
  TempDir dir;
  StatePersistence disk(dir.path / "file-not-dir");
  spit(dir.path / "file-not-dir", "");  // objects/ cannot be created under a file
  Store store;
  store.set_persistence(&disk);
  auto r = store.create(config::Object(make_deployment("web", 1)));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().reason == "InternalError");
  CHECK_THAT(r.error().message, Catch::Matchers::Contains("storing deployments.apps \"web\""));
  CHECK(store.count(config::Kind::kDeployment) == 0);
  CHECK(store.resource_version() == 0);
}

TEST_CASE("apply creates, then updates in place keeping what the cluster set") {
  Store store;
  config::Deployment d = make_deployment("web", 1);
  auto first = store.apply(config::Object(d));
  REQUIRE(first.ok());
  config::Deployment annotated = *as<config::Deployment>(*first);
  annotated.metadata.annotations["deployment.kubernetes.io/revision"] = "1";
  REQUIRE(store.update(config::Object(annotated)).ok());

  d.spec.replicas = 3;
  auto second = store.apply(config::Object(d));
  REQUIRE(second.ok());
  const auto* now = as<config::Deployment>(*second);
  CHECK(store.count(config::Kind::kDeployment) == 1);
  CHECK(now->metadata.uid == config::meta(**first).uid);
  CHECK(now->spec.replicas == 3);
  CHECK(now->metadata.generation == 2);
  CHECK(now->metadata.annotations.at("deployment.kubernetes.io/revision") == "1");
  // The same manifest again changes nothing.
  auto third = store.apply(config::Object(d));
  REQUIRE(third.ok());
  CHECK(config::meta(**third).resource_version == now->metadata.resource_version);
}

// ---- container records of the process engine ---------------------------------------------

using skiff::controller::engine::ContainerRecord;
using skiff::controller::engine::identity_mismatch;
using skiff::controller::engine::parse_proc_stat;
using skiff::controller::engine::ProcStat;

TEST_CASE("a container record survives the JSON round trip and refuses partial records") {
  ContainerRecord r{"abcd1234-app-0-4242-1",
                    4242,
                    987654321,
                    "abcd1234-0000",
                    "web-1",
                    "default",
                    "app",
                    "sandbox-abcd1234-0000",
                    "127.244.0.7",
                    3,
                    "2026-11-25T21:00:00Z",
                    "/state/pods/x/app/3.log",
                    "/state/pods/x",
                    {{"PORT", "5000"}, {"SECRET", "s3cr=t"}},
                    "/srv/app"};
  std::string error;
  auto back = skiff::controller::engine::record_from_json(
      skiff::controller::engine::record_to_json(r), &error);
  REQUIRE(back);
  CHECK(*back == r);
  CHECK_FALSE(skiff::controller::engine::record_from_json(R"({"pid": 4242})", &error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(skiff::controller::engine::record_from_json("{\"containerID\":", &error));
}

TEST_CASE("proc stat lines parse with odd command names") {
  const std::string line =
      "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654321 "
      "1000 200 18446744073709551615\n";
  auto st = parse_proc_stat(line);
  REQUIRE(st);
  CHECK(st->pid == 4242);
  CHECK(st->state == 'S');
  CHECK(st->pgrp == 4242);
  CHECK(st->session == 4242);
  CHECK(st->start_time == 987654321);
  CHECK_FALSE(parse_proc_stat("4242 (cmd) S 1 2"));
  CHECK_FALSE(parse_proc_stat("garbage"));
}

TEST_CASE("a pid is the recorded container only with the same start time") {
  ContainerRecord r;
  r.pid = 4242;
  r.start_time = 1000;
  ProcStat same{4242, 'S', 4242, 4242, 1000};
  CHECK_FALSE(identity_mismatch(r, same));
  ProcStat reused = same;
  reused.start_time = 2000;
  auto why = identity_mismatch(r, reused);
  REQUIRE(why);
  CHECK_THAT(*why, Catch::Matchers::Contains("is another process now"));
  ProcStat moved = same;
  moved.pgrp = 1;
  CHECK(identity_mismatch(r, moved));
  ProcStat zombie = same;
  zombie.state = 'Z';
  CHECK(identity_mismatch(r, zombie));
}
