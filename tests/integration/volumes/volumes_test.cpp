// Volumes with a real daemon on the process engine (run as root): each pod's containers run in
// a mount namespace of their own where the pod's volumes are bind-mounted at their mountPath.
// Two containers share an emptyDir; a configMap volume's file changes in place when the
// ConfigMap does, in the same running process; readOnly mounts refuse writes and subPath
// mounts land inside the volume; medium Memory is a tmpfs; a hostPath that fails its type
// check keeps the pod in ContainerCreating with kubelet's message and a FailedMount event,
// and starts it once the path is right; deletion removes the volumes and the mount points.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/seed/harness.h"

using namespace skiff::test;
using nlohmann::json;

namespace {

constexpr long kTmpfsMagic = 0x01021994;

// This process's scratch folder (mount paths and outputs live under it, on the host).
fs::path scratch() {
  fs::path dir = fs::temp_directory_path() / ("skiff-volumes-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// The scratch folder goes when the test process ends (mount points in it are plain folders
// on the host; nothing is mounted there outside the pods' namespaces).
struct ScratchCleanup {
  ~ScratchCleanup() {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() / ("skiff-volumes-" + std::to_string(::getpid())), ec);
  }
} scratch_cleanup;

fs::path write_file(const std::string& name, const std::string& text) {
  fs::path p = scratch() / name;
  std::ofstream(p) << text;
  return p;
}

// Test case n: node 127.28.0.n, pods 127.28.(2n-1).0/24, ClusterIPs 127.28.(2n).0/24.
Daemon::Options options(uint16_t port, int n) {
  Daemon::Options o;
  o.api_port = port;
  o.node_address = "127.28.0." + std::to_string(n);
  o.pod_cidr = "127.28." + std::to_string(n * 2 - 1) + ".0/24";
  o.service_cidr = "127.28." + std::to_string(n * 2) + ".0/24";
  return o;
}

// Lazily unmounts whatever is still mounted under `dir` (a test that failed half-way), so the
// harness can remove its state folder.
struct Unmounter {
  fs::path dir;
  ~Unmounter() {
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::vector<std::string> points;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string id, parent, dev, root, point;
      fields >> id >> parent >> dev >> root >> point;
      if (point.rfind(dir.string(), 0) == 0) points.push_back(point);
    }
    for (auto it = points.rbegin(); it != points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  }
};

void start(Daemon& d) {
  d.start({"--log-level", "debug"});
  REQUIRE(eventually([&] { return d.skiff("get pods").exit_code == 0; }, 30000ms));
}

void apply(const Daemon& d, const std::string& name, const std::string& yaml) {
  auto r = d.skiff("apply -f " + write_file(name, yaml).string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

std::string container_field(const Daemon& d, const std::string& pod, size_t i,
                            const std::string& field) {
  auto p = d.get_json("pod " + pod);
  if (!p.is_object()) return "";
  const auto statuses = p["status"].value("containerStatuses", json::array());
  if (statuses.size() <= i) return "";
  const auto& v = statuses[i].value(field, json());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string pod_uid(const Daemon& d, const std::string& pod) {
  auto p = d.get_json("pod " + pod);
  return p.is_object() ? p["metadata"].value("uid", "") : "";
}

bool deleted(const Daemon& d, const std::string& pod) {
  if (d.skiff("delete pod " + pod).exit_code != 0) return false;
  return eventually([&] { return d.skiff("get pod " + pod).exit_code != 0; }, 30000ms);
}

bool is_tmpfs(const fs::path& p) {
  struct statfs s {};
  return ::statfs(p.c_str(), &s) == 0 && s.f_type == kTmpfsMagic;
}

int mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
}

// A container running `script` under sh, then sleeping; its output goes to `out` on the host.
std::string container(const std::string& name, const std::string& script, const std::string& mounts,
                      const std::string& extra = "") {
  return "  - name: " + name + "\n    image: host/sh\n    command: [\"sh\", \"-c\"]\n" +
         "    args:\n    - |\n      " + script + "\n" + mounts + extra;
}

}  // namespace

TEST_CASE("two containers of a pod share an emptyDir, in namespaces of their own") {
  REQUIRE(::geteuid() == 0);
  Daemon d(options(27050, 1));
  Unmounter unmount{d.state_dir()};
  start(d);
  const fs::path base = scratch() / "share";
  fs::remove_all(base);
  const fs::path w_mnt = base / "writer" / "data", r_mnt = base / "reader" / "data";
  const fs::path out = scratch() / "share-out";
  fs::remove(out);
  const std::string manifest =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: share\nspec:\n"
      "  terminationGracePeriodSeconds: 1\n  volumes:\n  - name: data\n    emptyDir: {}\n"
      "  containers:\n" +
      container("writer",
                "echo hello-from-writer > " + w_mnt.string() + "/msg.tmp && mv " + w_mnt.string() +
                    "/msg.tmp " + w_mnt.string() + "/msg && exec sleep 600",
                "    volumeMounts:\n    - {name: data, mountPath: " + w_mnt.string() + "}\n") +
      container("reader",
                "while [ ! -f " + r_mnt.string() + "/msg ]; do sleep 0.1; done; cat " +
                    r_mnt.string() + "/msg > " + out.string() + ".tmp && mv " + out.string() +
                    ".tmp " + out.string() + " && exec sleep 600",
                "    volumeMounts:\n    - {name: data, mountPath: " + r_mnt.string() + "}\n",
                // The exec probe runs in the container's mount namespace and sees the file.
                "    readinessProbe:\n      exec: {command: [cat, " + r_mnt.string() +
                    "/msg]}\n      periodSeconds: 1\n");
  apply(d, "share.yaml", manifest);
  REQUIRE(eventually([&] { return fs::exists(out); }, 30000ms));
  CHECK(read_file(out) == "hello-from-writer\n");
  // The reader is Ready through its exec probe that reads the shared file.
  CHECK(eventually([&] { return container_field(d, "share", 0, "ready") == "true"; }, 15000ms));
  const std::string uid = pod_uid(d, "share");
  REQUIRE_FALSE(uid.empty());
  const fs::path volume =
      d.state_dir() / "pods" / uid / "volumes" / "kubernetes.io~empty-dir" / "data";
  CHECK(read_file(volume / "msg") == "hello-from-writer\n");
  CHECK(mode_of(volume) == 0777);
  // On the host the mount points are empty folders: the volume is seen only inside the pod.
  CHECK(fs::is_directory(w_mnt));
  CHECK(fs::is_empty(w_mnt));

  REQUIRE(deleted(d, "share"));
  CHECK_FALSE(fs::exists(d.state_dir() / "pods" / uid));  // the emptyDir went with the pod
  CHECK_FALSE(fs::exists(w_mnt));                         // mount points skiff made are removed too
  CHECK_FALSE(fs::exists(base / "reader"));
  CHECK(d.stop() == 0);
}

TEST_CASE("a configMap volume changes in place in the running pod") {
  REQUIRE(::geteuid() == 0);
  Daemon d(options(27051, 2));
  Unmounter unmount{d.state_dir()};
  start(d);
  const fs::path mnt = scratch() / "cfg" / "etc";
  const fs::path out = scratch() / "cfg-out";
  fs::remove(out);
  auto config_map = [](const std::string& greeting) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n"
           "  greeting: " +
           greeting + "\n  other: x\n";
  };
  apply(d, "cm1.yaml", config_map("v1"));
  const std::string token = "tok-91be22-volume";
  apply(d, "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: " + token +
            "\n");
  const fs::path creds = scratch() / "cfg" / "creds";
  const std::string manifest =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cfg\nspec:\n"
      "  terminationGracePeriodSeconds: 1\n  volumes:\n  - name: config\n"
      "    configMap:\n      name: app-config\n      items:\n      - {key: greeting, path: "
      "greeting.txt}\n  - name: creds\n    secret: {secretName: creds, defaultMode: 256}\n"
      "  containers:\n" +
      container("app",
                "while true; do cat " + mnt.string() + "/greeting.txt " + creds.string() +
                    "/token > " + out.string() + ".tmp; (echo x > " + mnt.string() +
                    "/new && echo writable || echo read-only) >> " + out.string() +
                    ".tmp 2>/dev/null; mv " + out.string() + ".tmp " + out.string() +
                    "; sleep 0.2; done",
                "    volumeMounts:\n    - {name: config, mountPath: " + mnt.string() +
                    "}\n    - {name: creds, mountPath: " + creds.string() + "}\n");
  apply(d, "cfg.yaml", manifest);
  REQUIRE(eventually([&] { return read_file(out) == "v1" + token + "read-only\n"; }, 30000ms));
  const std::string id = container_field(d, "cfg", 0, "containerID");
  REQUIRE_FALSE(id.empty());
  const std::string uid = pod_uid(d, "cfg");
  const fs::path volume =
      d.state_dir() / "pods" / uid / "volumes" / "kubernetes.io~configmap" / "config";
  CHECK(mode_of(volume / "greeting.txt") == 0644);                // kubelet's default mode
  CHECK_FALSE(fs::exists(fs::symlink_status(volume / "other")));  // only the listed item
  CHECK(fs::read_symlink(volume / "greeting.txt") == "..data/greeting.txt");
  // The secret volume: on a tmpfs, with its defaultMode (256 = 0400: the YAML loader reads
  // "0400" as YAML 1.2 decimal, unlike kubectl); its value never reaches the log.
  const fs::path secret_volume =
      d.state_dir() / "pods" / uid / "volumes" / "kubernetes.io~secret" / "creds";
  CHECK(is_tmpfs(secret_volume));
  CHECK(mode_of(secret_volume / "token") == 0400);
  CHECK(read_file(secret_volume / "token") == token);

  apply(d, "cm2.yaml", config_map("v2"));
  CHECK(eventually([&] { return read_file(out) == "v2" + token + "read-only\n"; }, 15000ms));
  // The same process saw it: not restarted.
  CHECK(container_field(d, "cfg", 0, "containerID") == id);
  CHECK(container_field(d, "cfg", 0, "restartCount") == "0");

  CHECK(d.log().find(token) == std::string::npos);

  REQUIRE(deleted(d, "cfg"));
  CHECK_FALSE(fs::exists(d.state_dir() / "pods" / uid));
  CHECK(d.stop() == 0);
}

TEST_CASE("readOnly mounts refuse writes, subPath lands inside the volume, Memory is a tmpfs") {
  REQUIRE(::geteuid() == 0);
  Daemon d(options(27052, 3));
  Unmounter unmount{d.state_dir()};
  start(d);
  const fs::path base = scratch() / "ro";
  fs::remove_all(base);
  const fs::path rw = base / "rw", ro = base / "ro", sub = base / "sub";
  const fs::path out = scratch() / "ro-out";
  fs::remove(out);
  // The shell's own words for the refused write ("...: Read-only file system") are kept.
  const std::string script = "echo a > " + rw.string() + "/ok; r1=$?; r2=$( (echo b > " +
                             ro.string() + "/no) 2>&1 ); echo c > " + sub.string() +
                             "/in-sub; r3=$?; echo \"rw=$r1 ro=$r2 sub=$r3\" > " + out.string() +
                             ".tmp && mv " + out.string() + ".tmp " + out.string() +
                             " && exec sleep 600";
  const std::string manifest =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ro\nspec:\n"
      "  terminationGracePeriodSeconds: 1\n  volumes:\n  - name: data\n"
      "    emptyDir: {medium: Memory, sizeLimit: 8Mi}\n  containers:\n" +
      container("app", script,
                "    volumeMounts:\n    - {name: data, mountPath: " + rw.string() +
                    "}\n    - {name: data, mountPath: " + ro.string() +
                    ", readOnly: true}\n    - {name: data, mountPath: " + sub.string() +
                    ", subPath: nested/dir}\n");
  apply(d, "ro.yaml", manifest);
  REQUIRE(eventually([&] { return fs::exists(out); }, 30000ms));
  const std::string seen = read_file(out);
  CHECK(seen.rfind("rw=0 ro=", 0) == 0);
  CHECK(seen.find("Read-only file system") != std::string::npos);
  CHECK(seen.find(" sub=0\n") != std::string::npos);
  const std::string uid = pod_uid(d, "ro");
  const fs::path volume =
      d.state_dir() / "pods" / uid / "volumes" / "kubernetes.io~empty-dir" / "data";
  CHECK(is_tmpfs(volume));
  CHECK(read_file(volume / "ok") == "a\n");
  CHECK_FALSE(fs::exists(volume / "no"));
  CHECK(read_file(volume / "nested" / "dir" / "in-sub") == "c\n");

  REQUIRE(deleted(d, "ro"));
  CHECK_FALSE(fs::exists(volume));  // unmounted and removed
  CHECK(d.stop() == 0);
}

TEST_CASE("a hostPath that fails its type check keeps the pod in ContainerCreating") {
  REQUIRE(::geteuid() == 0);
  Daemon d(options(27053, 4));
  Unmounter unmount{d.state_dir()};
  start(d);
  const fs::path host = scratch() / "host-dir";
  fs::remove_all(host);
  std::ofstream(host) << "a file, not a folder";
  const fs::path mnt = scratch() / "hp" / "mnt";
  const fs::path out = scratch() / "hp-out";
  fs::remove(out);
  const std::string manifest =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: hp\nspec:\n"
      "  terminationGracePeriodSeconds: 1\n  volumes:\n  - name: host\n"
      "    hostPath: {path: " +
      host.string() + ", type: Directory}\n  containers:\n" +
      container("app",
                "ls " + mnt.string() + " > " + out.string() + ".tmp && mv " + out.string() +
                    ".tmp " + out.string() + " && exec sleep 600",
                "    volumeMounts:\n    - {name: host, mountPath: " + mnt.string() + "}\n");
  apply(d, "hp.yaml", manifest);
  const std::string why =
      "MountVolume.SetUp failed for volume \"host\" : hostPath type check "
      "failed: " +
      host.string() + " is not a directory";
  CHECK(eventually(
      [&] {
        auto p = d.get_json("pod hp");
        if (!p.is_object()) return false;
        const auto s = p["status"].value("containerStatuses", json::array());
        return !s.empty() && s[0]["state"].contains("waiting") &&
               s[0]["state"]["waiting"].value("reason", "") == "ContainerCreating" &&
               s[0]["state"]["waiting"].value("message", "") == why &&
               p["status"].value("phase", "") == "Pending";
      },
      15000ms));
  auto events = d.skiff("get events");
  CHECK(events.output.find("FailedMount") != std::string::npos);
  CHECK(events.output.find("is not a directory") != std::string::npos);
  CHECK_FALSE(fs::exists(out));

  // Once the path is a folder the pod starts (the mount is retried) and sees its content.
  fs::remove(host);
  fs::create_directories(host);
  std::ofstream(host / "from-host") << "x";
  REQUIRE(eventually([&] { return fs::exists(out); }, 20000ms));
  CHECK(read_file(out) == "from-host\n");
  CHECK(container_field(d, "hp", 0, "ready") == "true");

  REQUIRE(deleted(d, "hp"));
  CHECK(fs::exists(host / "from-host"));  // a hostPath is never removed with the pod
  CHECK(d.stop() == 0);
}

TEST_CASE("after a kill -9 of the daemon an adopted pod keeps its volumes in step") {
  REQUIRE(::geteuid() == 0);
  Daemon d(options(27054, 5));
  Unmounter unmount{d.state_dir()};
  start(d);
  const fs::path base = scratch() / "adopt";
  fs::remove_all(base);
  const fs::path cfg = base / "cfg", data = base / "data";
  const fs::path out = scratch() / "adopt-out";
  fs::remove(out);
  auto config_map = [](const std::string& v) {
    return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: adopt\ndata:\n  v: " + v + "\n";
  };
  apply(d, "adopt-cm1.yaml", config_map("one"));
  const std::string manifest =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: adopt\nspec:\n"
      "  terminationGracePeriodSeconds: 1\n  volumes:\n  - {name: cfg, configMap: {name: adopt}}\n"
      "  - {name: data, emptyDir: {}}\n  containers:\n" +
      container("app",
                "echo kept > " + data.string() + "/state; while true; do cat " + cfg.string() +
                    "/v " + data.string() + "/state > " + out.string() + ".tmp; mv " +
                    out.string() + ".tmp " + out.string() + "; sleep 0.2; done",
                "    volumeMounts:\n    - {name: cfg, mountPath: " + cfg.string() +
                    "}\n    - {name: data, mountPath: " + data.string() + "}\n",
                // Exec probes of the adopted process still run in its mount namespace.
                "    readinessProbe:\n      exec: {command: [cat, " + data.string() +
                    "/state]}\n      periodSeconds: 1\n");
  apply(d, "adopt.yaml", manifest);
  REQUIRE(eventually([&] { return read_file(out) == "onekept\n"; }, 30000ms));
  REQUIRE(eventually([&] { return container_field(d, "adopt", 0, "ready") == "true"; }, 15000ms));
  const std::string id = container_field(d, "adopt", 0, "containerID");
  const std::string uid = pod_uid(d, "adopt");

  const int pid = std::stoi(read_file(d.state_dir() / "daemon.lock"));
  REQUIRE(::kill(pid, SIGKILL) == 0);
  d.stop();  // reaps it
  start(d);
  REQUIRE(eventually([&] { return container_field(d, "adopt", 0, "ready") == "true"; }, 20000ms));
  CHECK(container_field(d, "adopt", 0, "containerID") == id);  // adopted, not restarted
  apply(d, "adopt-cm2.yaml", config_map("two"));
  CHECK(eventually([&] { return read_file(out) == "twokept\n"; }, 15000ms));
  CHECK(container_field(d, "adopt", 0, "containerID") == id);

  REQUIRE(deleted(d, "adopt"));
  CHECK_FALSE(fs::exists(d.state_dir() / "pods" / uid));
  CHECK(d.stop() == 0);
}
