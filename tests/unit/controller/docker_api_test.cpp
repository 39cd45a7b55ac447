// The Docker Engine API as skiff speaks it: bodies it sends and replies it parses, including
// replies that are malformed or not what was expected (an error, never a throw).
#include "controller/engine/docker_api.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace skiff::controller::engine;
using namespace skiff::controller::engine::docker;
using nlohmann::json;

TEST_CASE("DOCKER_HOST picks the unix socket and refuses other schemes") {
  CHECK(*socket_from_docker_host(nullptr) == "/var/run/docker.sock");
  CHECK(*socket_from_docker_host("") == "/var/run/docker.sock");
  CHECK(*socket_from_docker_host("unix:///run/user/1000/docker.sock") ==
        "/run/user/1000/docker.sock");
  auto tcp = socket_from_docker_host("tcp://127.0.0.1:2375");
  REQUIRE_FALSE(tcp);
  CHECK(tcp.error().message.find("unix socket only") != std::string::npos);
}

TEST_CASE("targets are versioned and filters are escaped JSON") {
  CHECK(versioned("/containers/json") == "/v1.41/containers/json");
  CHECK(query_escape("a b/c=d") == "a%20b%2Fc%3Dd");
  const std::string f = filters({"io.skiff.daemon=abc"}, {"container"});
  CHECK(json::parse(f) == json{{"label", {"io.skiff.daemon=abc"}}, {"type", {"container"}}});
  CHECK(json::parse(filters({"x=y"})) == json{{"label", {"x=y"}}});
}

TEST_CASE("a container joins its pod's sandbox and runs the resolved argv as its entrypoint") {
  ContainerRequest r;
  r.pod_uid = "uid-1";
  r.pod_name = "web-1";
  r.pod_namespace = "default";
  r.container_name = "app";
  r.image = "flask-kubernetes:latest";
  r.restart_count = 2;
  r.argv = {"python", "app.py"};
  r.env = {{"PATH", "/usr/bin"}, {"POD_IP", "172.17.0.5"}};
  r.working_dir = "/app";
  const json body = json::parse(container_create_body(r, "daemon-1", "sandbox-id"));
  CHECK(body["Image"] == "flask-kubernetes:latest");
  CHECK(body["Entrypoint"] == json{"python", "app.py"});
  CHECK(body["Cmd"] == json::array());  // so the image's CMD is not appended
  CHECK(body["Env"] == json{"PATH=/usr/bin", "POD_IP=172.17.0.5"});
  CHECK(body["WorkingDir"] == "/app");
  CHECK(body["HostConfig"]["NetworkMode"] == "container:sandbox-id");
  CHECK(body["HostConfig"]["IpcMode"] == "container:sandbox-id");
  CHECK(body["HostConfig"]["RestartPolicy"]["Name"] == "no");  // skiff restarts, not dockerd
  CHECK(body["HostConfig"]["Init"] == true);
  const auto& labels = body["Labels"];
  CHECK(labels[kLabelDaemon] == "daemon-1");
  CHECK(labels[kLabelRole] == kRoleContainer);
  CHECK(labels[kLabelPodUid] == "uid-1");
  CHECK(labels[kLabelPodName] == "web-1");
  CHECK(labels[kLabelPodNamespace] == "default");
  CHECK(labels[kLabelContainerName] == "app");
  CHECK(labels[kLabelRestartCount] == "2");
  CHECK(container_name(r) == "skiff_app_web-1_default_uid-1_2");
}

TEST_CASE("the sandbox holds the pod's hostname, shareable IPC and skiff's DNS") {
  SandboxSpec s;
  s.daemon_id = "d";
  s.pause_image = "skiff/pause:1";
  s.pod = SandboxRequest{"uid-1", "web-1", "shop", "web-1"};
  s.dns_servers = {"10.96.0.254"};
  s.dns_search = {"shop.svc.cluster.local", "svc.cluster.local", "cluster.local"};
  s.dns_options = {"ndots:5"};
  const json body = json::parse(sandbox_create_body(s));
  CHECK(body["Image"] == "skiff/pause:1");
  CHECK(body["Entrypoint"] == json{"/pause"});
  CHECK(body["Hostname"] == "web-1");
  CHECK(body["HostConfig"]["NetworkMode"] == "bridge");
  CHECK(body["HostConfig"]["IpcMode"] == "shareable");
  CHECK(body["HostConfig"]["Dns"] == json{"10.96.0.254"});
  CHECK(body["HostConfig"]["DnsSearch"][0] == "shop.svc.cluster.local");
  CHECK(body["HostConfig"]["DnsOptions"] == json{"ndots:5"});
  CHECK(body["Labels"][kLabelRole] == kRoleSandbox);
  CHECK(sandbox_name(s.pod) == "skiff_POD_web-1_shop_uid-1");
}

TEST_CASE("dockerd's error messages are passed on verbatim") {
  CHECK(error_message(404, R"({"message":"No such image: nope:1"})") == "No such image: nope:1");
  CHECK(error_message(500, "plain text\n") == "plain text");
  CHECK(error_message(502, "") == "HTTP status 502");
}

TEST_CASE("image inspect: present, absent, failing and malformed") {
  auto found = parse_image_inspect(200, R"({"Id":"sha256:abc","RepoTags":["hello:1"],
      "Config":{"Entrypoint":null,"Cmd":["python","app.py"],"WorkingDir":"/app",
      "Env":["PATH=/usr/bin","EMPTY"],"ExposedPorts":{"5000/tcp":{}}}})");
  REQUIRE(found);
  REQUIRE(found->has_value());
  const ImageConfig& image = **found;
  CHECK(image.id == "sha256:abc");
  CHECK(image.ref == "hello:1");
  CHECK(image.entrypoint.empty());
  CHECK(image.cmd == std::vector<std::string>{"python", "app.py"});
  CHECK(image.working_dir == "/app");
  CHECK(image.env ==
        std::vector<std::pair<std::string, std::string>>{{"PATH", "/usr/bin"}, {"EMPTY", ""}});
  CHECK(image.exposed_ports == std::vector<std::string>{"5000/tcp"});

  auto absent = parse_image_inspect(404, R"({"message":"No such image: x"})");
  REQUIRE(absent);
  CHECK_FALSE(absent->has_value());

  auto failing = parse_image_inspect(500, R"({"message":"disk on fire"})");
  REQUIRE_FALSE(failing);
  CHECK(failing.error().message == "disk on fire");

  for (const char* bad : {"", "{", "[]", "null", R"({"Config":{}})", R"({"Id":5})"}) {
    INFO(bad);
    auto r = parse_image_inspect(200, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("unexpected reply to image inspect") != std::string::npos);
  }
}

TEST_CASE("container inspect gives state, exit, OOM, times, address and labels") {
  auto c = parse_container_inspect(R"({"Id":"c1","Name":"/skiff_app",
      "State":{"Status":"exited","Running":false,"ExitCode":137,"OOMKilled":true,
               "StartedAt":"2026-11-26T00:16:08.676245441Z","FinishedAt":"0001-01-01T00:00:00Z"},
      "Config":{"Image":"hello:1","Labels":{"io.skiff.pod.uid":"u"}},
      "NetworkSettings":{"IPAddress":"","Networks":{"skiffnet":{"IPAddress":"172.18.0.4"}}}})");
  REQUIRE(c);
  CHECK(c->id == "c1");
  CHECK(c->name == "skiff_app");
  CHECK(c->state == "exited");
  CHECK_FALSE(c->running);
  CHECK(c->exit_code == 137);
  CHECK(c->oom_killed);
  CHECK(c->started_at == "2026-11-26T00:16:08Z");
  CHECK(c->finished_at.empty());
  CHECK(c->ip == "172.18.0.4");
  CHECK(c->labels.at("io.skiff.pod.uid") == "u");

  CHECK_FALSE(parse_container_inspect(R"({"Id":"c1"})"));  // no State
  CHECK_FALSE(parse_container_inspect(R"({"Id":"c1","State":"running"})"));
  CHECK_FALSE(parse_container_inspect("not json"));
  // Wrongly typed fields are ignored rather than trusted.
  auto odd = parse_container_inspect(R"({"Id":"c2","State":{"Status":7,"ExitCode":"x"}})");
  REQUIRE(odd);
  CHECK(odd->exit_code == 0);
  CHECK_FALSE(odd->running);
}

TEST_CASE("container list: ids, states, labels and bridge addresses") {
  auto list = parse_container_list(R"([
      {"Id":"a","Names":["/one"],"State":"running","Created":1700000000,"Labels":{"k":"v"},
       "NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.2"}}}},
      {"Id":"b","Names":["/two"],"State":"exited","Labels":null}])");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "one");
  CHECK((*list)[0].running);
  CHECK((*list)[0].ip == "172.17.0.2");
  CHECK((*list)[0].created == 1700000000);
  CHECK((*list)[0].labels.at("k") == "v");
  CHECK_FALSE((*list)[1].running);
  CHECK((*list)[1].labels.empty());
  CHECK_FALSE(parse_container_list(R"({"Id":"a"})"));
  CHECK_FALSE(parse_container_list(R"([{"Names":["/x"]}])"));
  CHECK_FALSE(parse_container_list(R"([1])"));
}

TEST_CASE("events: die with its exit code, oom, and malformed lines") {
  auto die = parse_event(R"({"status":"die","id":"c1","Type":"container","Action":"die",
      "Actor":{"ID":"c1","Attributes":{"exitCode":"137","io.skiff.pod.uid":"u"}},
      "time":1,"timeNano":1000000001})");
  REQUIRE(die);
  CHECK(die->type == "container");
  CHECK(die->action == "die");
  CHECK(die->id == "c1");
  CHECK(die->exit_code == 137);
  CHECK(die->attributes.at("io.skiff.pod.uid") == "u");
  CHECK(die->time_nano == 1000000001);

  auto oom = parse_event(R"({"Type":"container","Action":"oom","Actor":{"ID":"c2"}})");
  REQUIRE(oom);
  CHECK_FALSE(oom->exit_code.has_value());

  CHECK_FALSE(parse_event("{"));
  CHECK_FALSE(parse_event(R"({"Type":"container"})"));
  auto bad_code = parse_event(
      R"({"Type":"container","Action":"die","Actor":{"ID":"c","Attributes":{"exitCode":"x"}}})");
  REQUIRE_FALSE(bad_code);
  CHECK(bad_code.error().message.find("exitCode") != std::string::npos);
}

TEST_CASE("exec inspect and created ids") {
  CHECK(*parse_exec_exit_code(R"({"Running":false,"ExitCode":3})") == 3);
  CHECK(*parse_exec_exit_code(R"({"Running":true,"ExitCode":0})") == -1);
  CHECK_FALSE(parse_exec_exit_code(R"({"Running":false})"));
  CHECK(*parse_id(R"({"Id":"abc","Warnings":[]})") == "abc");
  CHECK_FALSE(parse_id(R"({"Warnings":[]})"));
}

TEST_CASE("build progress: output, errors and the image id") {
  auto step = parse_build_line(R"({"stream":"Step 1/6 : FROM python:3.11-slim\n"})");
  REQUIRE(step);
  CHECK(step->stream == "Step 1/6 : FROM python:3.11-slim\n");
  CHECK(step->error.empty());
  auto failed = parse_build_line(
      R"({"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command '/bin/sh -c false' returned a non-zero code: 1"})");
  REQUIRE(failed);
  CHECK(failed->error == "The command '/bin/sh -c false' returned a non-zero code: 1");
  auto aux = parse_build_line(R"({"aux":{"ID":"sha256:feed"}})");
  REQUIRE(aux);
  CHECK(aux->image_id == "sha256:feed");
  CHECK_FALSE(parse_build_line("Step 1/6"));
}

TEST_CASE("lines are split across reads, and a partial one waits for the rest") {
  LineSplitter s;
  std::vector<std::string> lines;
  auto collect = [&](std::string_view l) { lines.emplace_back(l); };
  s.feed("{\"a\":1}\n{\"b\"", collect);
  CHECK(lines == std::vector<std::string>{"{\"a\":1}"});
  s.feed(":2}\r\n\n{\"c\":3}", collect);
  CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(s.rest() == "{\"c\":3}");
}

namespace {
std::string frame(char stream, const std::string& payload) {
  std::string h{stream, 0, 0, 0};
  const auto n = static_cast<uint32_t>(payload.size());
  h += static_cast<char>(n >> 24);
  h += static_cast<char>((n >> 16) & 0xff);
  h += static_cast<char>((n >> 8) & 0xff);
  h += static_cast<char>(n & 0xff);
  return h + payload;
}
}  // namespace

TEST_CASE("the 8-byte stream header is removed, whatever the read boundaries") {
  const std::string wire =
      frame(1, "hello ") + frame(2, "error\n") + frame(1, "") + frame(1, std::string(300, 'x'));
  for (size_t step : {size_t{1}, size_t{3}, size_t{8}, size_t{9}, wire.size()}) {
    INFO(step);
    StreamDemuxer d;
    std::string out;
    for (size_t i = 0; i < wire.size(); i += step) d.feed(wire.substr(i, step), out);
    CHECK(out == "hello error\n" + std::string(300, 'x'));
    CHECK_FALSE(d.raw());
  }
  StreamDemuxer limited(8);
  std::string out;
  limited.feed(wire, out);
  CHECK(out == "hello er");
  // A TTY container's output has no frames: it passes through.
  StreamDemuxer tty;
  std::string text;
  tty.feed("plain output\n", text);
  CHECK(text == "plain output\n");
  CHECK(tty.raw());
}
