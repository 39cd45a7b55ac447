#include "config/dockerfile.h"

#include <catch2/catch.hpp>

using namespace skiff::config;
using Strings = std::vector<std::string>;

TEST_CASE("the seed Dockerfile", "[dockerfile]") {
  auto r = parse_dockerfile(
      "FROM python:3.11-slim\nWORKDIR /app\nCOPY . /app\nRUN pip install flask\nEXPOSE 5000\n"
      "CMD [\"python\", \"app.py\"]\n");
  REQUIRE(r.ok());
  CHECK(r->base == "python:3.11-slim");
  CHECK(r->working_dir == "/app");
  CHECK(r->cmd == Strings{"python", "app.py"});
  CHECK(r->entrypoint.empty());
  CHECK(r->exposed_ports == Strings{"5000/tcp"});
  CHECK(r->env.empty());
}

TEST_CASE("forms, continuations, comments and case", "[dockerfile]") {
  auto r = parse_dockerfile(R"(# syntax=docker/dockerfile:1
# a comment
from alpine:3.19 as build
run echo building
FROM debian:12
env A=1 B="two words" \
    C='$A'
ENV LEGACY value with spaces
ENV D=$A-${B}
WorkDir /srv
WORKDIR app
WORKDIR ../data
EXPOSE 80 53/UDP
entrypoint python \
  # comment inside a continuation
  -m http.server
CMD ["--bind", "0.0.0.0"]
)");
  REQUIRE(r.ok());
  CHECK(r->base == "debian:12");
  CHECK(r->env == std::vector<std::pair<std::string, std::string>>{{"A", "1"},
                                                                   {"B", "two words"},
                                                                   {"C", "$A"},
                                                                   {"LEGACY", "value with spaces"},
                                                                   {"D", "1-two words"}});
  CHECK(r->working_dir == "/srv/data");
  CHECK(r->exposed_ports == Strings{"80/tcp", "53/udp"});
  CHECK(r->entrypoint == Strings{"/bin/sh", "-c", "python -m http.server"});
  CHECK(r->cmd == Strings{"--bind", "0.0.0.0"});
}

TEST_CASE("only the last stage counts, a named stage is inherited", "[dockerfile]") {
  auto r = parse_dockerfile(
      "FROM python:3.11 AS base\nENV X=1\nCMD [\"python\"]\nFROM base\nENTRYPOINT [\"tini\"]\n");
  REQUIRE(r.ok());
  CHECK(r->base == "python:3.11");
  CHECK(r->env.size() == 1);
  CHECK(r->entrypoint == Strings{"tini"});
  CHECK(r->cmd.empty());  // ENTRYPOINT resets a CMD inherited from the base

  r = parse_dockerfile("FROM a\nCMD x\nENTRYPOINT [\"e\"]\n");
  REQUIRE(r.ok());
  CHECK(r->cmd == Strings{"/bin/sh", "-c", "x"});  // set in the same stage: kept
}

TEST_CASE("errors name the line", "[dockerfile]") {
  auto r = parse_dockerfile("FROM a\n\nENV X\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "Dockerfile:3: ENV: missing value for X");
  r = parse_dockerfile("FROM a\nFROBNICATE x\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "Dockerfile:2: unknown instruction: FROBNICATE");
  r = parse_dockerfile("CMD x\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.rfind("Dockerfile:1: CMD before any FROM", 0) == 0);
  r = parse_dockerfile("# nothing\n");
  REQUIRE_FALSE(r.ok());
  r = parse_dockerfile("FROM a\nEXPOSE http\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "Dockerfile:2: EXPOSE: invalid port \"http\"");
}

TEST_CASE("the legacy ENV form splits at any whitespace, not only space and tab", "[dockerfile]") {
  // Found by the config fuzzer: a vertical tab between name and value made the parser look for
  // a space that was not there, and throw out of parse_dockerfile.
  auto r = parse_dockerfile(std::string("FROM a\nENV NAME\vsome value\n"));
  REQUIRE(r.ok());
  REQUIRE(r->env.size() == 1);
  CHECK(r->env[0] == std::pair<std::string, std::string>{"NAME", "some value"});
  r = parse_dockerfile(std::string("FROM a\nENV NAME\fvalue\n"));
  REQUIRE(r.ok());
  CHECK(r->env[0].second == "value");
}
