// The pure volume rules: host layout, per-container mounts, projected files, hostPath types.
#include "controller/volume_plan.h"

#include <catch2/catch.hpp>

using namespace skiff::controller;
using skiff::config::Container;
using skiff::config::KeyToPath;
using skiff::config::PodSpec;
using skiff::config::Volume;
using skiff::config::VolumeMount;

namespace {

Volume empty_dir(std::string name, std::string medium = "") {
  Volume v;
  v.name = std::move(name);
  v.empty_dir = skiff::config::EmptyDirVolumeSource{std::move(medium), ""};
  return v;
}

}  // namespace

TEST_CASE("volumes live where kubelet keeps them", "[volumes]") {
  const auto dir = pod_volumes_dir("/state", "1234-ab");
  CHECK(dir == "/state/pods/1234-ab/volumes");
  Volume cm;
  cm.name = "cfg";
  cm.config_map = skiff::config::ConfigMapVolumeSource{};
  Volume secret;
  secret.name = "creds";
  secret.secret = skiff::config::SecretVolumeSource{};
  Volume host;
  host.name = "logs";
  host.host_path = skiff::config::HostPathVolumeSource{"/var/log", ""};
  CHECK(volume_host_path(dir, empty_dir("data")) ==
        "/state/pods/1234-ab/volumes/kubernetes.io~empty-dir/data");
  CHECK(volume_host_path(dir, cm) == "/state/pods/1234-ab/volumes/kubernetes.io~configmap/cfg");
  CHECK(volume_host_path(dir, secret) == "/state/pods/1234-ab/volumes/kubernetes.io~secret/creds");
  CHECK(volume_host_path(dir, host) == "/var/log");
}

TEST_CASE("a container mounts what its volumeMounts name, parents first", "[volumes]") {
  PodSpec spec;
  spec.volumes = {empty_dir("data"), empty_dir("fast", "Memory")};
  Volume cm;
  cm.name = "cfg";
  cm.config_map = skiff::config::ConfigMapVolumeSource{};
  spec.volumes.push_back(cm);
  Container c;
  c.name = "web";
  c.volume_mounts = {VolumeMount{"data", "/srv/data/cache", false, "cache"},
                     VolumeMount{"fast", "/srv/", true, ""},
                     VolumeMount{"cfg", "/etc/app", false, ""}};
  spec.containers = {c};
  auto mounts = plan_mounts(spec, c, "/v");
  REQUIRE(mounts);
  REQUIRE(mounts->size() == 3);
  // "/srv" and "/etc/app" come before the deeper "/srv/data/cache".
  CHECK((*mounts)[0].target == "/srv");
  CHECK((*mounts)[0].source == "/v/kubernetes.io~empty-dir/fast");
  CHECK((*mounts)[0].read_only);
  CHECK((*mounts)[0].tmpfs);
  CHECK((*mounts)[1].target == "/etc/app");
  CHECK((*mounts)[1].read_only);  // configMap volumes are always read-only
  CHECK_FALSE((*mounts)[1].tmpfs);
  CHECK((*mounts)[2].target == "/srv/data/cache");
  CHECK((*mounts)[2].source == "/v/kubernetes.io~empty-dir/data/cache");
  CHECK_FALSE((*mounts)[2].read_only);
}

TEST_CASE("mounts that validation refuses are refused by the planner too", "[volumes]") {
  PodSpec spec;
  spec.volumes = {empty_dir("data")};
  Container c;
  c.name = "web";
  SECTION("no such volume") {
    c.volume_mounts = {VolumeMount{"nope", "/x", false, ""}};
    auto m = plan_mounts(spec, c, "/v");
    REQUIRE_FALSE(m);
    CHECK(m.error().message ==
          "container web: volumeMount nope: no volume of that name in the pod");
  }
  SECTION("relative mountPath") {
    c.volume_mounts = {VolumeMount{"data", "x", false, ""}};
    CHECK_FALSE(plan_mounts(spec, c, "/v"));
  }
  SECTION("subPath escaping the volume") {
    c.volume_mounts = {VolumeMount{"data", "/x", false, "a/../../etc"}};
    auto m = plan_mounts(spec, c, "/v");
    REQUIRE_FALSE(m);
    CHECK(m.error().message ==
          "container web: volumeMount data: subPath \"a/../../etc\" must not contain '..'");
  }
}

TEST_CASE("projected files follow kubelet's payload rules", "[volumes]") {
  const std::map<std::string, std::string> data{{"b", "2"}, {"a", "1"}};
  SECTION("every key, default mode") {
    auto f = project_files(data, {}, 0644, false, "configmap");
    REQUIRE(f);
    CHECK(*f == std::vector<ProjectedFile>{{"a", "1", 0644}, {"b", "2", 0644}});
  }
  SECTION("items choose keys, paths and modes") {
    auto f = project_files(data, {KeyToPath{"b", "conf/b.ini", 0600}, KeyToPath{"a", "a.txt", {}}},
                           0444, false, "configmap");
    REQUIRE(f);
    CHECK(*f == std::vector<ProjectedFile>{{"a.txt", "1", 0444}, {"conf/b.ini", "2", 0600}});
  }
  SECTION("a missing key fails unless optional") {
    auto f = project_files(data, {KeyToPath{"zz", "z", {}}}, 0644, false, "configmap");
    REQUIRE_FALSE(f);
    CHECK(f.error().message == "configmap references non-existent config key: zz");
    auto s = project_files(data, {KeyToPath{"zz", "z", {}}}, 0644, false, "secret");
    REQUIRE_FALSE(s);
    CHECK(s.error().message == "secret references non-existent secret key: zz");
    auto o = project_files(data, {KeyToPath{"zz", "z", {}}, KeyToPath{"a", "a", {}}}, 0644, true,
                           "configmap");
    REQUIRE(o);
    CHECK(o->size() == 1);
  }
  SECTION("paths that leave the volume are refused") {
    CHECK_FALSE(project_files(data, {KeyToPath{"a", "../a", {}}}, 0644, false, "configmap"));
    CHECK_FALSE(project_files(data, {KeyToPath{"a", "/a", {}}}, 0644, false, "configmap"));
    CHECK_FALSE(project_files(data, {KeyToPath{"a", "x", {}}, KeyToPath{"b", "x", {}}}, 0644, false,
                              "configmap"));
  }
}

TEST_CASE("hostPath types check the path as kubelet does", "[volumes]") {
  using T = HostPathAction::Type;
  CHECK(host_path_action("", "/x", HostFileType::kMissing).type == T::kNone);
  CHECK(host_path_action("DirectoryOrCreate", "/x", HostFileType::kMissing).type ==
        T::kCreateDirectory);
  CHECK(host_path_action("DirectoryOrCreate", "/x", HostFileType::kDirectory).type == T::kNone);
  CHECK(host_path_action("FileOrCreate", "/x", HostFileType::kMissing).type == T::kCreateFile);
  auto a = host_path_action("Directory", "/x", HostFileType::kFile);
  CHECK(a.type == T::kFail);
  CHECK(a.message == "hostPath type check failed: /x is not a directory");
  CHECK(host_path_action("Directory", "/x", HostFileType::kMissing).message ==
        "hostPath type check failed: /x is not a directory");
  CHECK(host_path_action("DirectoryOrCreate", "/x", HostFileType::kFile).message ==
        "hostPath type check failed: /x is not a directory");
  CHECK(host_path_action("File", "/x", HostFileType::kDirectory).message ==
        "hostPath type check failed: /x is not a file");
  CHECK(host_path_action("FileOrCreate", "/x", HostFileType::kDirectory).message ==
        "hostPath type check failed: /x is not a file");
  CHECK(host_path_action("Socket", "/x", HostFileType::kFile).message ==
        "hostPath type check failed: /x is not a socket file");
  CHECK(host_path_action("CharDevice", "/dev/null", HostFileType::kCharDevice).type == T::kNone);
  CHECK(host_path_action("BlockDevice", "/x", HostFileType::kCharDevice).message ==
        "hostPath type check failed: /x is not a block device");
}
