#include "cli/log_format.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace skiff::cli;

TEST_CASE("log fields: the component and the object a message names") {
  auto f = log_fields("kubelet: pod default/web-1 container app started (restart 0, ip 1.2.3.4)");
  CHECK(f.component == "kubelet");
  CHECK(f.kind == "pod");
  CHECK(f.object == "default/web-1");

  f = log_fields("replicaset default/web-5d8f: creating a pod failed: quota");
  CHECK(f.component == "replicaset");
  CHECK(f.kind == "replicaset");
  CHECK(f.object == "default/web-5d8f");

  f = log_fields("kubelet: killing container app of pod default/web-1 (grace 30s)");
  CHECK(f.kind == "pod");
  CHECK(f.object == "default/web-1");

  f = log_fields("process engine: 2 containers did not die");
  CHECK(f.component == "process engine");
  CHECK(f.kind.empty());
  CHECK(f.object.empty());

  // Not the convention: no fields rather than wrong ones.
  CHECK(log_fields("skiff stopped").component.empty());
  CHECK(log_fields("signal 2: stopping pods and exiting").component.empty());
  CHECK(log_fields("Some Sentence: with a colon").component.empty());
  CHECK(log_fields("default/web port 6000: accept: too many open files").component.empty());
  CHECK(log_fields("").component.empty());
  CHECK(log_fields("kubelet: pod /x: y").object.empty());
}

TEST_CASE("a JSON log line is one parseable object with ts, level, msg and fields") {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1795653000)) +
                 std::chrono::milliseconds(42);
  const std::string line = json_log_line(
      t, "warn", "kubelet: pod default/web-1: sandbox: \"quoted\"\n\tand a \x01 control");
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // exactly one line
  const auto json = nlohmann::json::parse(line);
  CHECK(json["ts"] == "2026-11-26T00:30:00.042Z");
  CHECK(json["level"] == "warn");
  CHECK(json["msg"] == "kubelet: pod default/web-1: sandbox: \"quoted\"\n\tand a \x01 control");
  CHECK(json["component"] == "kubelet");
  CHECK(json["kind"] == "pod");
  CHECK(json["object"] == "default/web-1");

  const auto plain = nlohmann::json::parse(json_log_line(t, "info", "skiff stopped"));
  CHECK(plain.size() == 3);
  CHECK_FALSE(plain.contains("component"));
}

TEST_CASE("log formats by name") {
  CHECK(parse_log_format("text") == LogFormat::kText);
  CHECK(parse_log_format("json") == LogFormat::kJson);
  CHECK_FALSE(parse_log_format("JSON").has_value());
  CHECK_FALSE(parse_log_format("").has_value());
}
