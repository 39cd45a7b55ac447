// Validation of spec.volumes and containers[].volumeMounts, worded as the API server words it.
#include <catch2/catch.hpp>

#include "config/objects_json.h"
#include "config/validation.h"
#include "tests/unit/config/validation_support.h"

using namespace skiff::config;
using nlohmann::json;
using skiff::test::has;
using skiff::test::problems;

namespace {

json pod_with(json volumes, json mounts) {
  json p = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  p["spec"]["volumes"] = std::move(volumes);
  p["spec"]["containers"][0]["volumeMounts"] = std::move(mounts);
  return p;
}

#define INFO_ALL(v)             \
  for (const auto& line_ : v) { \
    UNSCOPED_INFO(line_);       \
  }

}  // namespace

TEST_CASE("volumes of every source and their mounts are valid", "[validation][volumes]") {
  auto p = problems(pod_with(json::parse(R"([{"name":"scratch","emptyDir":{}},
                      {"name":"fast","emptyDir":{"medium":"Memory","sizeLimit":"64Mi"}},
                      {"name":"logs","hostPath":{"path":"/var/log","type":"Directory"}},
                      {"name":"cfg","configMap":{"name":"app","items":[{"key":"a","path":"conf/a.ini","mode":384}]}},
                      {"name":"creds","secret":{"secretName":"db","defaultMode":256}}])"),
                             json::parse(R"([{"name":"scratch","mountPath":"/scratch"},
                      {"name":"cfg","mountPath":"/etc/app","readOnly":true},
                      {"name":"logs","mountPath":"/logs","subPath":"app/current"}])")));
  INFO_ALL(p);
  CHECK(p.empty());
}

TEST_CASE("volume names are unique and each volume has exactly one source",
          "[validation][volumes]") {
  auto p = problems(pod_with(json::parse(R"([{"name":"a","emptyDir":{}},
                                             {"name":"a","emptyDir":{}},
                                             {"name":"b"},
                                             {"name":"c","emptyDir":{},"hostPath":{"path":"/x"}}])"),
                             json::array()));
  INFO_ALL(p);
  CHECK(has(p, "spec.volumes[1].name: Duplicate value: \"a\""));
  CHECK(has(p, "spec.volumes[2]: Required value: must specify a volume type"));
  CHECK(has(p, "spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type"));
}

TEST_CASE("hostPath type, emptyDir medium, projection items", "[validation][volumes]") {
  auto p = problems(pod_with(json::parse(R"([{"name":"h","hostPath":{"path":"/x","type":"Dir"}},
                      {"name":"r","hostPath":{"path":"relative"}},
                      {"name":"m","emptyDir":{"medium":"Disk"}},
                      {"name":"c","configMap":{"name":"x","defaultMode":1000,
                        "items":[{"key":"k","path":"../up"},{"key":"k2","path":"/abs"},{"key":"k3","path":"..data"}]}},
                      {"name":"s","secret":{}}])"),
                             json::array()));
  INFO_ALL(p);
  CHECK(has(p,
            "spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", "
            "\"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", "
            "\"FileOrCreate\", \"Socket\""));
  CHECK(has(
      p, "spec.volumes[1].hostPath.path: Invalid value: \"relative\": must be an absolute path"));
  CHECK(has(p,
            "spec.volumes[2].emptyDir.medium: Unsupported value: \"Disk\": supported values: "
            "\"\", \"Memory\""));
  CHECK(has(p,
            "spec.volumes[3].configMap.defaultMode: Invalid value: 1000: must be a number "
            "between 0 and 0777 (octal), both inclusive"));
  CHECK(has(p,
            "spec.volumes[3].configMap.items[0].path: Invalid value: \"../up\": must not "
            "contain '..'"));
  CHECK(has(p,
            "spec.volumes[3].configMap.items[1].path: Invalid value: \"/abs\": must be a "
            "relative path"));
  CHECK(has(p,
            "spec.volumes[3].configMap.items[2].path: Invalid value: \"..data\": must not "
            "start with '..'"));
  CHECK(has(p, "spec.volumes[4].secret.secretName: Required value"));
}

TEST_CASE("volumeMounts name an existing volume at an absolute, unique path",
          "[validation][volumes]") {
  auto p = problems(pod_with(json::parse(R"([{"name":"data","emptyDir":{}}])"),
                             json::parse(R"([{"name":"nope","mountPath":"/a"},
                                             {"name":"data","mountPath":"rel"},
                                             {"name":"data","mountPath":"/a"},
                                             {"name":"data","mountPath":"/b","subPath":"../x"},
                                             {"name":"data","mountPath":"/c","subPath":"/x"},
                                             {"name":"data"}])")));
  INFO_ALL(p);
  CHECK(has(p, "spec.containers[0].volumeMounts[0].name: Not found: \"nope\""));
  CHECK(has(p,
            "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"rel\": must be "
            "an absolute path"));
  CHECK(has(p,
            "spec.containers[0].volumeMounts[2].mountPath: Invalid value: \"/a\": must be "
            "unique"));
  CHECK(has(p,
            "spec.containers[0].volumeMounts[3].subPath: Invalid value: \"../x\": must not "
            "contain '..'"));
  CHECK(has(p,
            "spec.containers[0].volumeMounts[4].subPath: Invalid value: \"/x\": must be a "
            "relative path"));
  CHECK(has(p, "spec.containers[0].volumeMounts[5].mountPath: Required value"));
}
