#include "config/expand.h"

#include <catch2/catch.hpp>
#include <map>

using namespace skiff::config;

namespace {

std::string expand(std::string_view s) {
  static const std::map<std::string, std::string, std::less<>> vars = {
      {"POD_IP", "127.244.0.5"}, {"PORT", "5000"}, {"EMPTY", ""}};
  return expand_vars(s, [](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace

TEST_CASE("$(VAR) expands as Kubernetes does", "[expand]") {
  CHECK(expand("--bind=$(POD_IP):$(PORT)") == "--bind=127.244.0.5:5000");
  CHECK(expand("$(UNDEFINED)") == "$(UNDEFINED)");
  CHECK(expand("x$(EMPTY)y") == "xy");
  CHECK(expand("$$(PORT)") == "$(PORT)");
  CHECK(expand("$$$(PORT)") == "$5000");
  CHECK(expand("cost: $$5") == "cost: $5");
  CHECK(expand("$(PORT") == "$(PORT");
  CHECK(expand("a $PORT b") == "a $PORT b");
  CHECK(expand("$") == "$");
  CHECK(expand("$()") == "$()");
  CHECK(expand("") == "");
}

TEST_CASE("expansion does not recurse into values", "[expand]") {
  std::string out = expand_vars("$(A)", [](std::string_view n) -> std::optional<std::string> {
    if (n == "A") return std::string("$(B)");
    return std::string("bad");
  });
  CHECK(out == "$(B)");
}
