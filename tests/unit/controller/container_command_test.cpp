#include "controller/container_command.h"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace skiff::controller;
using skiff::config::Container;
using skiff::controller::engine::ImageConfig;

namespace {

ImageConfig flask_image() {
  ImageConfig image;
  image.ref = "flask-kubernetes:latest";
  image.entrypoint = {"python3"};
  image.cmd = {"app.py"};
  image.env = {{"FLASK_ENV", "production"}, {"PATH", "/opt/venv/bin:/usr/bin:/bin"}};
  image.working_dir = "/srv/flask";
  return image;
}

std::string value_of(const EnvList& env, const std::string& name) {
  for (const auto& [k, v] : env) {
    if (k == name) return v;
  }
  return "<unset>";
}

size_t position_of(const EnvList& env, const std::string& name) {
  for (size_t i = 0; i < env.size(); ++i) {
    if (env[i].first == name) return i;
  }
  return env.size();
}

}  // namespace

TEST_CASE("argv follows Kubernetes' four command/args cases") {
  ImageConfig image = flask_image();
  EnvList env;
  Container c;

  SECTION("neither: ENTRYPOINT + CMD") {
    CHECK(container_argv(c, image, env) == std::vector<std::string>{"python3", "app.py"});
  }
  SECTION("args only: ENTRYPOINT + args (image CMD dropped)") {
    c.args = {"other.py", "--debug"};
    CHECK(container_argv(c, image, env) ==
          std::vector<std::string>{"python3", "other.py", "--debug"});
  }
  SECTION("command only: the command, image ENTRYPOINT and CMD ignored") {
    c.command = {"/bin/sh", "-c", "echo hi"};
    CHECK(container_argv(c, image, env) == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  }
  SECTION("both: command + args") {
    c.command = {"gunicorn"};
    c.args = {"-b", "0.0.0.0:5000", "app:app"};
    CHECK(container_argv(c, image, env) ==
          std::vector<std::string>{"gunicorn", "-b", "0.0.0.0:5000", "app:app"});
  }
  SECTION("an image without ENTRYPOINT/CMD and no command leaves nothing to run") {
    CHECK(container_argv(c, ImageConfig{}, env).empty());
  }
}

TEST_CASE("$(VAR) in command and args expands from the container env, $$ escapes") {
  Container c;
  c.command = {"python3", "-m", "http.server", "--bind", "$(POD_IP)", "$(PORT)"};
  c.args = {"$(UNDEFINED)", "$$(POD_IP)", "cost: $$5"};
  EnvList env{{"POD_IP", "127.244.0.7"}, {"PORT", "8000"}};
  CHECK(container_argv(c, ImageConfig{}, env) ==
        std::vector<std::string>{"python3", "-m", "http.server", "--bind", "127.244.0.7", "8000",
                                 "$(UNDEFINED)", "$(POD_IP)", "cost: $5"});
}

TEST_CASE("environment order: defaults, image ENV, pod identity, PORT, service links, spec") {
  Container c;
  c.ports = {{"http", 5000, "TCP", 0}, {"metrics", 9000, "TCP", 0}};
  c.env = {{"GREETING", "hello from $(POD_NAME)", {}},
           {"URL", "http://$(POD_IP):$(PORT)/$(GREETING)", {}},
           {"FLASK_ENV", "development", {}},
           {"LITERAL", "$$(POD_IP)", {}}};
  PodEnvContext pod{"web-1", "default", "127.244.0.9", "", {}};
  skiff::config::Service svc;
  svc.metadata.name = "redis-master";
  svc.spec.cluster_ip = "127.96.0.10";
  svc.spec.ports = {{"", "TCP", 6379, {}, 0}};
  pod.services.push_back(svc);
  skiff::config::Service headless;
  headless.metadata.name = "db";
  headless.spec.cluster_ip = "None";
  headless.spec.ports = {{"", "TCP", 5432, {}, 0}};
  pod.services.push_back(headless);

  EnvList env = container_env(c, flask_image(), pod);

  CHECK(env[0].first == "PATH");
  CHECK(env[0].second == "/opt/venv/bin:/usr/bin:/bin");  // image ENV overrides the default
  CHECK(env[1] == std::pair<std::string, std::string>{"HOME", "/root"});
  CHECK(position_of(env, "FLASK_ENV") < position_of(env, "HOSTNAME"));
  CHECK(value_of(env, "FLASK_ENV") == "development");  // the spec overrides the image
  CHECK(value_of(env, "HOSTNAME") == "web-1");
  CHECK(value_of(env, "POD_NAME") == "web-1");
  CHECK(value_of(env, "POD_NAMESPACE") == "default");
  CHECK(value_of(env, "POD_IP") == "127.244.0.9");
  CHECK(value_of(env, "PORT") == "5000");
  CHECK(position_of(env, "PORT") < position_of(env, "REDIS_MASTER_SERVICE_HOST"));
  CHECK(value_of(env, "REDIS_MASTER_SERVICE_HOST") == "127.96.0.10");
  CHECK(value_of(env, "REDIS_MASTER_SERVICE_PORT") == "6379");
  CHECK(value_of(env, "REDIS_MASTER_PORT") == "tcp://127.96.0.10:6379");
  CHECK(value_of(env, "REDIS_MASTER_PORT_6379_TCP") == "tcp://127.96.0.10:6379");
  CHECK(value_of(env, "REDIS_MASTER_PORT_6379_TCP_PROTO") == "tcp");
  CHECK(value_of(env, "REDIS_MASTER_PORT_6379_TCP_PORT") == "6379");
  CHECK(value_of(env, "REDIS_MASTER_PORT_6379_TCP_ADDR") == "127.96.0.10");
  CHECK(value_of(env, "DB_SERVICE_HOST") == "<unset>");  // headless: no links
  CHECK(value_of(env, "GREETING") == "hello from web-1");
  CHECK(value_of(env, "URL") == "http://127.244.0.9:5000/hello from web-1");
  CHECK(value_of(env, "LITERAL") == "$(POD_IP)");
  CHECK(position_of(env, "GREETING") < position_of(env, "URL"));
}

TEST_CASE("a spec env entry sees only the entries before it") {
  Container c;
  c.env = {{"A", "$(B)-a", {}}, {"B", "b", {}}};
  EnvList env = container_env(c, ImageConfig{}, PodEnvContext{"p", "ns", "127.244.0.2", "", {}});
  CHECK(value_of(env, "A") == "$(B)-a");
  CHECK(value_of(env, "B") == "b");
  CHECK(value_of(env, "PATH") == kDefaultPath);
  CHECK(value_of(env, "PORT") == "<unset>");  // no containerPort
}

TEST_CASE("working dir: an existing absolute spec.workingDir, else the image's") {
  Container c;
  ImageConfig image = flask_image();
  CHECK(container_working_dir(c, image) == "/srv/flask");
  c.working_dir = "/app";  // the image's own WORKDIR, not a host folder here
  if (!std::filesystem::is_directory("/app"))
    CHECK(container_working_dir(c, image) == "/srv/flask");
  c.working_dir = std::filesystem::temp_directory_path().string();
  CHECK(container_working_dir(c, image) == c.working_dir);
  c.working_dir = "relative/dir";
  CHECK(container_working_dir(c, image) == "/srv/flask");
}
