// Volumes on the docker engine: the kubelet prepares them on the host and the containers get
// them as bind mounts, so two containers of a pod share an emptyDir (medium Memory: a tmpfs on
// the host), a hostPath shows the host's folder, and readOnly binds refuse writes.
#include <sys/mount.h>
#include <sys/statfs.h>

#include <catch2/catch.hpp>

#include "tests/integration/docker/docker_support.h"

using namespace skiff::test;
using nlohmann::json;

TEST_CASE("docker engine: two containers share an emptyDir and a hostPath through binds") {
  SKIFF_REQUIRE_DOCKER();
  const fs::path host =
      fs::temp_directory_path() / ("skiff-volumes-docker-" + std::to_string(::getpid())) / "host";
  fs::remove_all(host.parent_path());
  fs::create_directories(host.parent_path());
  Daemon::Options o;
  o.api_port = 27060;
  o.node_address = "127.28.0.10";
  o.pod_cidr = "127.28.11.0/24";
  o.service_cidr = "127.28.12.0/24";
  Daemon d(o);
  d.start({"--engine", "docker"});
  REQUIRE(eventually([&] { return d.skiff("get pods").exit_code == 0; }, 60000ms));
  const std::string manifest = R"(apiVersion: v1
kind: Pod
metadata:
  name: dvol
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: shared
    emptyDir: {medium: Memory}
  - name: host
    hostPath: {path: )" + host.string() +
                               R"(, type: DirectoryOrCreate}
  containers:
  - name: writer
    image: skiff-test/busybox:1
    imagePullPolicy: Never
    command: ["sh", "-c", "echo hi > /shared/msg; exec sleep 600"]
    volumeMounts:
    - {name: shared, mountPath: /shared}
  - name: reader
    image: skiff-test/busybox:1
    imagePullPolicy: Never
    command: ["sh", "-c", "while [ ! -f /in/msg ]; do sleep 0.1; done; (echo x > /in/no) 2> /host/ro-err; cp /in/msg /host/seen.tmp && mv /host/seen.tmp /host/seen; exec sleep 600"]
    volumeMounts:
    - {name: shared, mountPath: /in, readOnly: true}
    - {name: host, mountPath: /host}
)";
  const fs::path file = host.parent_path() / "dvol.yaml";
  std::ofstream(file) << manifest;
  auto applied = d.skiff("apply -f " + file.string());
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  INFO(d.log());
  REQUIRE(eventually([&] { return fs::exists(host / "seen"); }, 60000ms));
  CHECK(read_file(host / "seen") == "hi\n");
  CHECK(read_file(host / "ro-err").find("Read-only file system") != std::string::npos);
  auto pod = d.get_json("pod dvol");
  REQUIRE(pod.is_object());
  const std::string uid = pod["metadata"].value("uid", "");
  const fs::path volume =
      d.state_dir() / "pods" / uid / "volumes" / "kubernetes.io~empty-dir" / "shared";
  struct statfs s {};
  REQUIRE(::statfs(volume.c_str(), &s) == 0);
  CHECK(s.f_type == 0x01021994);  // the host tmpfs both containers bind
  CHECK(read_file(volume / "msg") == "hi\n");

  REQUIRE(d.skiff("delete pod dvol").exit_code == 0);
  REQUIRE(eventually([&] { return d.skiff("get pod dvol").exit_code != 0; }, 60000ms));
  CHECK_FALSE(fs::exists(d.state_dir() / "pods" / uid));
  CHECK(fs::exists(host / "seen"));  // the hostPath stays
  CHECK(d.stop() == 0);
  ::umount2(volume.c_str(), MNT_DETACH);  // in case a check above failed before the deletion
  fs::remove_all(host.parent_path());
}
