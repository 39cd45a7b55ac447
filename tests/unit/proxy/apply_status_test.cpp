#include "proxy/apply_status.h"

#include <catch2/catch.hpp>
#include <thread>

using namespace std::chrono_literals;
using skiff::proxy::ApplyStatus;

TEST_CASE("apply status waits for every worker", "[proxy][apply_status]") {
  ApplyStatus status(2);
  CHECK_FALSE(status.wait_applied(0, 10ms));
  status.report(0, 3, {"TCP 127.0.0.1:6000"}, {});
  CHECK_FALSE(status.wait_applied(3, 10ms));
  std::thread late([&] {
    std::this_thread::sleep_for(20ms);
    status.report(1, 4, {"TCP 127.0.0.1:6000"}, {});
  });
  CHECK(status.wait_applied(3, 2s));
  late.join();
  CHECK_FALSE(status.wait_applied(4, 10ms));  // worker 0 is still at 3
}

TEST_CASE("apply status merges listeners and errors of all workers", "[proxy][apply_status]") {
  ApplyStatus status(2);
  status.report(0, 1, {"TCP 127.0.0.2:80", "TCP 127.0.0.1:6000"}, {"b: bind", "a: bind"});
  status.report(1, 1, {"TCP 127.0.0.1:6000", "TCP 127.0.0.2:80"}, {"a: bind"});
  CHECK(status.listening() == std::vector<std::string>{"TCP 127.0.0.1:6000", "TCP 127.0.0.2:80"});
  CHECK(status.errors() == std::vector<std::string>{"a: bind", "b: bind"});
  status.report(0, 2, {}, {});
  status.report(1, 2, {}, {});
  CHECK(status.listening().empty());
  CHECK(status.errors().empty());
}
