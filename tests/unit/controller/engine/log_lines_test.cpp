// The pure parts of serving logs: the kubelet's line stamps, the sinceTime cut and the tail.
#include "controller/engine/log_lines.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "controller/engine/docker_log_stream.h"
#include "controller/engine/log_time_index.h"

namespace {

using namespace skiff::controller::engine;
using namespace std::chrono_literals;

ReadAt reader(const std::string& text, int* reads = nullptr) {
  return [&text, reads](char* b, size_t n, uint64_t at) -> ssize_t {
    if (reads) ++*reads;
    if (at > text.size()) return -1;
    const size_t got = std::min<size_t>(n, text.size() - at);
    std::memcpy(b, text.data() + at, got);
    return static_cast<ssize_t>(got);
  };
}

std::string tail(const std::string& text, uint64_t n) {
  return text.substr(tail_start(text.size(), n, reader(text)));
}

}  // namespace

TEST_CASE("log_time is RFC 3339 in UTC with nine fraction digits", "[logs]") {
  const auto t = LogClock::time_point(std::chrono::seconds(1764148500) + 1234ns);
  CHECK(log_time(t) == "2025-11-26T09:15:00.000001234Z");
  CHECK(log_time(LogClock::time_point(std::chrono::seconds(0))) ==
        "1970-01-01T00:00:00.000000000Z");
}

TEST_CASE("tail_start finds the last N lines as the kubelet counts them", "[logs]") {
  CHECK(tail("a\nb\nc\n", 1) == "c\n");
  CHECK(tail("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(tail("a\nb\nc\n", 3) == "a\nb\nc\n");
  CHECK(tail("a\nb\nc\n", 9) == "a\nb\nc\n");
  CHECK(tail("a\nb\nc\n", 0).empty());
  CHECK(tail("a\nb\npartial", 1) == "partial");  // an unfinished line is a line
  CHECK(tail("a\nb\npartial", 2) == "b\npartial");
  CHECK(tail("\n\n", 1) == "\n");  // empty lines count
  CHECK(tail("", 3).empty());
}

TEST_CASE("tail_start reads only the end of a large source", "[logs]") {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "line " + std::to_string(i) + "\n";
  int reads = 0;
  const uint64_t start = tail_start(text.size(), 3, reader(text, &reads));
  CHECK(text.substr(start) == "line 199997\nline 199998\nline 199999\n");
  CHECK(reads == 1);  // one 64 KiB block from the end
  // Lines spanning block borders are counted once.
  const uint64_t far = tail_start(text.size(), 150000, reader(text));
  CHECK(text.substr(far).rfind("line 50000\n", 0) == 0);
  int failing = 0;
  CHECK(tail_start(10, 1, [&](char*, size_t, uint64_t) -> ssize_t {
          ++failing;
          return -1;
        }) == 0);
}

TEST_CASE("LogLineFilter stamps and cuts whole lines as they stream", "[logs]") {
  const auto base = LogClock::time_point(std::chrono::seconds(1764148500));
  // Byte offsets below 10 were written at base, the rest a minute later.
  auto time_of = [&](uint64_t offset) { return offset < 10 ? base : base + 60s; };

  SECTION("pass-through when inactive") {
    LogLineFilter f(std::nullopt, false);
    CHECK_FALSE(f.active());
    std::string out;
    f.feed("abc\nde", 0, time_of, out);
    CHECK(out == "abc\nde");
  }
  SECTION("a stamp at each line start, also across pieces") {
    LogLineFilter f(std::nullopt, true);
    std::string out;
    // "three" starts at offset 8: written a minute later.
    auto later_from_8 = [&](uint64_t offset) { return offset < 8 ? base : base + 60s; };
    f.feed("one\ntw", 0, later_from_8, out);
    f.feed("o\nthree\n", 6, later_from_8, out);
    CHECK(out ==
          "2025-11-26T09:15:00.000000000Z one\n"
          "2025-11-26T09:15:00.000000000Z two\n"
          "2025-11-26T09:16:00.000000000Z three\n");
  }
  SECTION("since keeps lines whose first byte is not older") {
    LogLineFilter f(base + 30s, false);
    std::string out;
    f.feed("old-line\nnew-", 0, time_of, out);  // "new-" starts at 9: old
    f.feed("tail\nfresh\n", 13, time_of, out);
    CHECK(out == "fresh\n");
  }
}

TEST_CASE("docker log requests carry follow, tail, since and timestamps as dockerd reads them",
          "[logs]") {
  LogOptions o;
  CHECK(docker_logs_target("abc", o) == "/v1.41/containers/abc/logs?stdout=1&stderr=1&tail=all");
  o.follow = true;
  o.tail_lines = 10;
  o.timestamps = true;
  o.since = LogClock::time_point(std::chrono::seconds(1764148500) + 5ms);
  CHECK(docker_logs_target("abc", o) ==
        "/v1.41/containers/abc/logs?stdout=1&stderr=1&follow=1&tail=10"
        "&since=1764148500.005000000&timestamps=1");
}

TEST_CASE("LogTimes gives a byte the time of the first record that covers it", "[logs]") {
  const auto t = [](int64_t s) { return LogClock::time_point(std::chrono::seconds(s)); };
  auto times = LogTimes::parse(
      "10 1000000000000\n"
      "garbage\n"
      "25 2000000000000\n"
      "20 2500000000000\n"  // out of order: skipped
      "40 3000000000000\n"
      "50 400");  // unfinished: not trusted
  CHECK(times.at(0) == t(1000));
  CHECK(times.at(9) == t(1000));
  CHECK(times.at(10) == t(2000));
  CHECK(times.at(24) == t(2000));
  CHECK(times.at(39) == t(3000));
  CHECK_FALSE(times.at(40).has_value());  // not recorded yet
  CHECK_FALSE(LogTimes::parse("").at(0).has_value());
}
