// Runs the real kubectl against a test daemon, and raw HTTP requests with curl, both bounded in
// time. kubectl is optional on a developer machine: kubectl_missing() says so (a WARN) unless
// SKIFF_REQUIRE_KUBECTL=1, where a missing kubectl fails the test instead.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/integration/seed/harness.h"

namespace skiff::test {

struct KubectlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline bool kubectl_installed() {
  return run("kubectl version --client", std::chrono::seconds(10)).exit_code == 0;
}

// True when the test must stop here because kubectl is not installed.
inline bool kubectl_missing() {
  if (kubectl_installed()) return false;
  const char* require = std::getenv("SKIFF_REQUIRE_KUBECTL");
  if (require && std::string(require) == "1") {
    FAIL("kubectl is not installed and SKIFF_REQUIRE_KUBECTL=1");
  }
  WARN("kubectl is not installed: skipping (apt-get install kubernetes-client)");
  return true;
}

inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `kubectl --server http://SERVER ARGS` (ARGS is shell text) with HOME=home, so its discovery
// cache (~/.kube/cache) belongs to the test. stdout and stderr apart.
inline KubectlResult run_kubectl(const std::string& server, const std::string& args,
                                 const fs::path& home,
                                 std::chrono::seconds timeout = std::chrono::seconds(60)) {
  fs::create_directories(home);
  const fs::path err = home / ("stderr-" + std::to_string(::getpid()));
  const std::string line = "HOME=" + shell_quote(home.string()) + " timeout -s KILL " +
                           std::to_string(timeout.count()) + " kubectl --server http://" + server +
                           " " + args + " 2>" + shell_quote(err.string());
  KubectlResult r;
  FILE* p = ::popen(line.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err);
  std::error_code ec;
  fs::remove(err, ec);
  return r;
}

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
  std::string headers;
};

// One HTTP request with curl, the body sent as is with `content_type`.
inline HttpResult http_request(const std::string& server, const std::string& method,
                               const std::string& path, const std::string& content_type = "",
                               const std::string& body = "") {
  const fs::path dir = fs::temp_directory_path() / ("skiff-http-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "request") << body; }
  std::string command = "curl -sS -o " + shell_quote((dir / "response").string()) + " -D " +
                        shell_quote((dir / "headers").string()) +
                        " -w '%{http_code}' --max-time 20 -X " + method;
  if (!content_type.empty()) command += " -H " + shell_quote("Content-Type: " + content_type);
  if (!body.empty()) command += " --data-binary @" + shell_quote((dir / "request").string());
  command += " " + shell_quote("http://" + server + path);
  auto r = run(command, std::chrono::seconds(30));
  HttpResult out;
  out.status = std::atoi(r.output.c_str());
  out.body = read_file(dir / "response");
  out.headers = read_file(dir / "headers");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace skiff::test
