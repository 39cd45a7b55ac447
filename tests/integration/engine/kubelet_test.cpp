#include "controller/kubelet.h"

#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "controller/engine/process_engine.h"
#include "controller/store.h"
#include "test_support.h"

using namespace skiff::controller;
using skiff::config::Container;
using skiff::config::Pod;
using skiff::test::run_until;
using skiff::test::TempDir;
using namespace std::chrono_literals;

namespace {

struct Cluster {
  Cluster()
      : engine(io, engine::ProcessEngineOptions{dir.path}),
        kubelet(io, store, engine, table, options()) {
    kubelet.start();
  }
  ~Cluster() {
    bool done = false;
    kubelet.shutdown([&] { done = true; });
    run_until(
        io, [&] { return done; }, 10s);
  }

  static KubeletOptions options() {
    KubeletOptions o;
    o.backoff_base = 100ms;
    o.backoff_max = 1s;
    o.port_check_period = 50ms;
    o.unpublish_wait_max = 300ms;
    return o;
  }

  Pod pod(const std::string& name) const {
    auto p = store.get(skiff::config::Kind::kPod, "default", name);
    const Pod* pod = as<Pod>(p);
    return pod ? *pod : Pod{};
  }
  bool exists(const std::string& name) const {
    return store.get(skiff::config::Kind::kPod, "default", name) != nullptr;
  }

  void create(Pod p) {
    auto r = store.create(std::move(p));
    REQUIRE(r.ok());
  }

  pid_t pid_of(const std::string& name) {
    const auto& statuses = pod(name).status.container_statuses;
    if (statuses.empty() || !statuses[0].state.running) return -1;
    std::string id = statuses[0].container_id;
    const std::string prefix = "process://";
    if (id.rfind(prefix, 0) != 0) return -1;
    return engine.pid_of(id.substr(prefix.size()));
  }

  boost::asio::io_context io;
  TempDir dir;
  Store store;
  ServiceTableSource table;
  engine::ProcessEngine engine;
  Kubelet kubelet;
};

bool condition_true(const Pod& p, const std::string& type) {
  for (const auto& c : p.status.conditions) {
    if (c.type == type) return c.status == "True";
  }
  return false;
}

bool running_and_ready(const Pod& p) {
  return p.status.phase == "Running" && condition_true(p, "Ready");
}

Pod make_pod(const std::string& name, std::vector<std::string> command, int port = 0) {
  Pod p;
  p.metadata.name = name;
  Container c;
  c.name = name;
  c.image = "python:3.12";
  c.command = std::move(command);
  if (port) c.ports.push_back({"http", port, "TCP", 0});
  p.spec.containers.push_back(c);
  p.spec.termination_grace_period_seconds = 5;
  return p;
}

// A blocking HTTP GET, as curl would do it; "" on any failure.
std::string http_get(const std::string& ip, int port) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    s.connect({boost::asio::ip::make_address(ip), static_cast<unsigned short>(port)});
    std::string req = "GET / HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
    boost::asio::write(s, boost::asio::buffer(req));
    std::string out;
    boost::system::error_code ec;
    boost::asio::read(s, boost::asio::dynamic_buffer(out), ec);
    return out;
  } catch (const std::exception&) {
    return "";
  }
}

Pod http_server_pod(const std::string& name) {
  return make_pod(name, {"python3", "-m", "http.server", "--bind", "$(POD_IP)", "$(PORT)"}, 8000);
}

}  // namespace

TEST_CASE(
    "kubelet: a pod serving HTTP becomes Running and Ready on its pod IP, and restarts "
    "after kill -9") {
  Cluster k;
  k.create(http_server_pod("web"));
  REQUIRE(run_until(
      k.io, [&] { return running_and_ready(k.pod("web")); }, 15s));
  Pod p = k.pod("web");
  CHECK(p.spec.node_name == "skiff");
  CHECK(condition_true(p, "PodScheduled"));
  CHECK(condition_true(p, "ContainersReady"));
  CHECK(p.status.pod_ip.rfind("127.244.", 0) == 0);
  CHECK(p.status.host_ip == "127.0.0.1");
  CHECK_FALSE(p.status.start_time.empty());
  REQUIRE(p.status.container_statuses.size() == 1);
  CHECK(p.status.container_statuses[0].ready);
  CHECK(p.status.container_statuses[0].restart_count == 0);
  CHECK(p.status.container_statuses[0].container_id.rfind("process://", 0) == 0);
  CHECK(http_get(p.status.pod_ip, 8000).rfind("HTTP/1.0 200", 0) == 0);

  pid_t pid = k.pid_of("web");
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(run_until(
      k.io,
      [&] {
        Pod q = k.pod("web");
        return q.status.container_statuses.size() == 1 &&
               q.status.container_statuses[0].restart_count == 1 && running_and_ready(q);
      },
      15s));
  p = k.pod("web");
  const auto& last = p.status.container_statuses[0].last_state.terminated;
  REQUIRE(last.has_value());
  CHECK(last->exit_code == 137);
  CHECK(last->reason == "Error");
  CHECK(k.pid_of("web") != pid);
  CHECK(http_get(p.status.pod_ip, 8000).rfind("HTTP/1.0 200", 0) == 0);
}

TEST_CASE("kubelet: a container that exits at once goes into CrashLoopBackOff") {
  Cluster k;
  k.create(make_pod("crash", {"/bin/sh", "-c", "echo bye; exit 1"}));
  std::string message;
  REQUIRE(run_until(
      k.io,
      [&] {
        Pod p = k.pod("crash");
        if (p.status.container_statuses.empty()) return false;
        const auto& w = p.status.container_statuses[0].state.waiting;
        if (w && w->reason == "CrashLoopBackOff") message = w->message;
        return !message.empty();
      },
      10s));
  CHECK(message.rfind("back-off ", 0) == 0);
  CHECK(message.find("restarting failed container=crash pod=crash") != std::string::npos);
  Pod p = k.pod("crash");
  CHECK(p.status.phase == "Running");
  CHECK_FALSE(condition_true(p, "Ready"));
  const auto& last = p.status.container_statuses[0].last_state.terminated;
  REQUIRE(last.has_value());
  CHECK(last->exit_code == 1);
  CHECK(last->reason == "Error");
  // It keeps being restarted, with growing pauses.
  REQUIRE(run_until(
      k.io,
      [&] {
        auto s = k.pod("crash").status.container_statuses;
        return !s.empty() && s[0].restart_count >= 3;
      },
      10s));
}

TEST_CASE("kubelet: restartPolicy Never leaves a finished pod Succeeded") {
  Cluster k;
  Pod pod = make_pod("once", {"/bin/sh", "-c", "exit 0"});
  pod.spec.restart_policy = "Never";
  k.create(pod);
  REQUIRE(run_until(
      k.io, [&] { return k.pod("once").status.phase == "Succeeded"; }, 10s));
  CHECK(k.pod("once").status.container_statuses[0].state.terminated->reason == "Completed");
}

TEST_CASE(
    "kubelet: an unknown image under pull policy Never waits with ErrImageNeverPull, "
    "then starts once built") {
  Cluster k;
  Pod pod = make_pod("flask", {});
  pod.spec.containers[0].image = "flask-kubernetes:latest";
  pod.spec.containers[0].image_pull_policy = "Never";
  k.create(pod);
  REQUIRE(run_until(
      k.io,
      [&] {
        auto s = k.pod("flask").status.container_statuses;
        return !s.empty() && s[0].state.waiting &&
               s[0].state.waiting->reason == "ErrImageNeverPull";
      },
      10s));
  Pod p = k.pod("flask");
  CHECK(p.status.phase == "Pending");
  CHECK(p.status.container_statuses[0].state.waiting->message ==
        "Container image \"flask-kubernetes:latest\" is not present with pull policy of Never");

  TempDir app;
  {
    std::ofstream df(app.path / "Dockerfile");
    df << "FROM python:3.12\nWORKDIR /app\nCOPY . /app\n"
          "CMD [\"python3\", \"-c\", \"import time; print('flask up', flush=True); "
          "time.sleep(30)\"]\n";
  }
  REQUIRE(k.engine.images().build("flask-kubernetes", app.path).ok());
  REQUIRE(run_until(
      k.io, [&] { return running_and_ready(k.pod("flask")); }, 10s));
  const std::string uid = k.pod("flask").metadata.uid;
  REQUIRE(run_until(
      k.io,
      [&] {
        auto log = k.engine.logs(uid, "flask", false);
        return log.ok() && log->find("flask up") != std::string::npos;
      },
      10s));
}

TEST_CASE("kubelet: deleting a pod sends SIGTERM, then the pod leaves the store") {
  Cluster k;
  TempDir marks;
  auto marker = marks.path / "term";
  k.create(make_pod("doomed", {"/bin/sh", "-c",
                               "trap 'echo term > " + marker.string() +
                                   "; exit 0' TERM; echo up; while :; do sleep 0.05; done"}));
  REQUIRE(run_until(
      k.io, [&] { return running_and_ready(k.pod("doomed")); }, 10s));
  pid_t pid = k.pid_of("doomed");
  REQUIRE(pid > 0);
  // The trap must be in place before the deletion, or SIGTERM ends the shell outright.
  const std::string uid = k.pod("doomed").metadata.uid;
  REQUIRE(run_until(
      k.io,
      [&] {
        auto log = k.engine.logs(uid, "doomed", false);
        return log.ok() && log->find("up") != std::string::npos;
      },
      10s));

  auto r = k.store.remove(skiff::config::Kind::kPod, "default", "doomed");
  REQUIRE(r.ok());
  REQUIRE(k.exists("doomed"));  // only marked: the kubelet finishes the deletion
  REQUIRE(run_until(
      k.io, [&] { return !k.exists("doomed"); }, 10s));
  CHECK(skiff::test::read_file(marker) == "term\n");
  CHECK(::kill(pid, 0) == -1);

  // The pod IP went back to the pool: a new pod can get an address and run.
  k.create(http_server_pod("next"));
  REQUIRE(run_until(
      k.io, [&] { return running_and_ready(k.pod("next")); }, 15s));
}

TEST_CASE("kubelet: a pod removed outright is killed, shutdown stops the rest") {
  Cluster k;
  k.create(make_pod("gone", {"/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}));
  k.create(make_pod("stays", {"/bin/sh", "-c", "sleep 30"}));
  REQUIRE(run_until(
      k.io, [&] { return running_and_ready(k.pod("gone")) && running_and_ready(k.pod("stays")); },
      10s));
  pid_t gone = k.pid_of("gone");
  pid_t stays = k.pid_of("stays");
  REQUIRE(gone > 0);
  REQUIRE(stays > 0);
  REQUIRE(k.store.remove(skiff::config::Kind::kPod, "default", "gone", 0).ok());
  CHECK_FALSE(k.exists("gone"));
  REQUIRE(run_until(
      k.io, [&] { return ::kill(gone, 0) == -1; }, 5s));

  bool done = false;
  k.kubelet.shutdown([&] { done = true; });
  REQUIRE(run_until(
      k.io, [&] { return done; }, 10s));
  CHECK(::kill(stays, 0) == -1);
  CHECK(k.exists("stays"));  // pods stay in the store
}

namespace {

// A pod whose port is open at once but that is Ready only while `probe` succeeds, so the
// readiness seen can only come from the probe.
Pod probed_pod(const std::string& name, const std::string& dir, skiff::config::Probe probe) {
  Pod p = make_pod(
      name, {"python3", "-m", "http.server", "--bind", "$(POD_IP)", "--directory", dir, "$(PORT)"},
      8000);
  probe.period_seconds = 1;
  probe.failure_threshold = 1;
  p.spec.containers[0].readiness_probe = probe;
  return p;
}

void check_probe_drives_readiness(Cluster& k, const std::string& name, const std::string& flag) {
  // The server answers at once; the probe still fails: Running, not Ready.
  REQUIRE(run_until(
      k.io, [&] { return k.pod(name).status.phase == "Running"; }, 15s));
  REQUIRE(run_until(
      k.io, [&] { return !http_get(k.pod(name).status.pod_ip, 8000).empty(); }, 15s));
  run_until(
      k.io, [] { return false; }, 1500ms);
  CHECK_FALSE(condition_true(k.pod(name), "Ready"));

  // The probe starts to succeed: Ready. It fails again: not Ready, and never restarted.
  { std::ofstream(flag) << "ok"; }
  REQUIRE(run_until(
      k.io, [&] { return condition_true(k.pod(name), "Ready"); }, 10s));
  std::filesystem::remove(flag);
  REQUIRE(run_until(
      k.io, [&] { return !condition_true(k.pod(name), "Ready"); }, 10s));
  CHECK(k.pod(name).status.container_statuses[0].restart_count == 0);
}

}  // namespace

TEST_CASE("kubelet: an httpGet readiness probe decides Ready, not the open port") {
  Cluster k;
  skiff::config::Probe probe;
  probe.http_get = skiff::config::HTTPGetAction{};
  probe.http_get->path = "/ready";
  probe.http_get->port = skiff::config::IntOrString::of("http");
  k.create(probed_pod("probed-http", k.dir.path.string(), probe));
  check_probe_drives_readiness(k, "probed-http", (k.dir.path / "ready").string());
}

TEST_CASE("kubelet: an exec readiness probe decides Ready by its exit code") {
  Cluster k;
  const std::string flag = (k.dir.path / "exec-ok").string();
  skiff::config::Probe probe;
  probe.exec = skiff::config::ExecAction{{"test", "-f", flag}};
  k.create(probed_pod("probed-exec", k.dir.path.string(), probe));
  check_probe_drives_readiness(k, "probed-exec", flag);
}

TEST_CASE("kubelet: a tcpSocket readiness probe checks its own port") {
  Cluster k;
  skiff::config::Probe probe;
  // The container declares 8000, but the probe asks for 8001, where nothing listens.
  probe.tcp_socket = skiff::config::TCPSocketAction{skiff::config::IntOrString::of(8001), ""};
  k.create(probed_pod("probed-tcp", k.dir.path.string(), probe));
  REQUIRE(run_until(
      k.io, [&] { return k.pod("probed-tcp").status.phase == "Running"; }, 15s));
  run_until(
      k.io, [] { return false; }, 2500ms);
  CHECK_FALSE(condition_true(k.pod("probed-tcp"), "Ready"));
  // Something starts listening there: Ready.
  boost::asio::ip::tcp::acceptor listener(
      k.io, {boost::asio::ip::make_address(k.pod("probed-tcp").status.pod_ip), 8001});
  REQUIRE(run_until(
      k.io, [&] { return condition_true(k.pod("probed-tcp"), "Ready"); }, 10s));
}
