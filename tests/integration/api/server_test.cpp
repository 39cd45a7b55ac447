// The API server on a real socket: a Store and Server on a loop thread, the Client on the
// test thread, as the daemon and the CLI run.
#include "api/server.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "api/client.h"
#include "metrics/exposition.h"
#include "metrics/registry.h"

namespace net = boost::asio;
using nlohmann::json;
using skiff::api::Client;
using skiff::api::ServerOptions;

namespace {

// Logs for one known pod uid; everything else is unused by the API.
class FakeEngine : public skiff::controller::engine::Engine {
 public:
  std::string_view name() const override { return "fake"; }
  void set_event_handler(EventHandler) override {}
  void inspect_image(const std::string&,
                     Done<std::optional<skiff::controller::engine::ImageConfig>>) override {}
  void create_sandbox(const skiff::controller::engine::SandboxRequest&,
                      Done<skiff::controller::engine::Sandbox>) override {}
  void remove_sandbox(const std::string&) override {}
  void start_container(const skiff::controller::engine::ContainerRequest&,
                       Done<std::string>) override {}
  void stop_container(const std::string&, std::chrono::seconds) override {}
  void exec(const std::string&, const std::vector<std::string>&, std::chrono::milliseconds,
            std::function<void(skiff::controller::engine::ExecResult)>) override {}
  skiff::config::Result<std::string> logs(const std::string& pod_uid, const std::string& container,
                                          bool previous) override {
    return "uid=" + pod_uid + " container=" + container +
           " previous=" + (previous ? "true" : "false") + "\nline 2\nline 3\n";
  }
  void recover(Done<std::vector<skiff::controller::engine::RecoveredContainer>> done) override {
    done(std::vector<skiff::controller::engine::RecoveredContainer>{});
  }
  void kill_all() override {}
};

struct Daemon {
  explicit Daemon(ServerOptions options = {}, std::vector<skiff::api::ReadinessCheck> checks = {},
                  skiff::api::MetricsSource metrics = {}) {
    options.port = 0;
    server = std::make_unique<skiff::api::Server>(io, store, &engine, options);
    for (auto& c : checks) server->add_readiness_check(std::move(c));
    if (metrics) server->set_metrics_source(std::move(metrics));
    auto started = server->start();
    REQUIRE(started.ok());
    port = server->port();
    REQUIRE(port != 0);
    REQUIRE(*started == "127.0.0.1:" + std::to_string(port));
    thread = std::thread([this] { io.run(); });
  }
  // Runs f on the loop (where the store lives) and waits for its result.
  template <class F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io, [&task] { task(); });
    REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return result.get();
  }
  ~Daemon() {
    on_loop([this] {
      server->stop();
      return 0;
    });
    guard.reset();
    thread.join();
  }
  Client client(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return Client("127.0.0.1", port, timeout);
  }

  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
  skiff::controller::Store store;
  FakeEngine engine;
  std::unique_ptr<skiff::api::Server> server;
  std::thread thread;
  uint16_t port = 0;
};

const std::string kDeployments = "/apis/apps/v1/namespaces/default/deployments";

json deployment(const std::string& name, int replicas) {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": ")" +
                     name + R"(", "labels": {"app": ")" + name + R"("}},
    "spec": {
      "replicas": )" +
                     std::to_string(replicas) + R"(,
      "selector": {"matchLabels": {"app": ")" +
                     name + R"("}},
      "template": {
        "metadata": {"labels": {"app": ")" +
                     name + R"("}},
        "spec": {"containers": [{"name": "app", "image": "hello:latest",
                                 "command": ["python3", "-m", "http.server"]}]}}}})");
}

json pod(const std::string& name, std::vector<std::string> containers) {
  json cs = json::array();
  for (const auto& c : containers) {
    cs.push_back({{"name", c}, {"image", "hello:latest"}, {"command", {"sleep", "60"}}});
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec", {{"containers", cs}}}};
}

// Sends raw bytes and reads until the server closes (bounded by a 5 s receive timeout).
std::string raw_exchange(uint16_t port, const std::string& bytes) {
  net::io_context io;
  net::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({net::ip::make_address("127.0.0.1"), port}, ec);
  REQUIRE_FALSE(ec);
  timeval tv{5, 0};
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  net::write(socket, net::buffer(bytes), ec);
  std::string reply;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    size_t n = socket.read_some(net::buffer(buf), ec);
    reply.append(buf, n);
    if (ec) break;
  }
  return reply;
}

}  // namespace

TEST_CASE("create, get, list, update and delete round trip through the client") {
  Daemon d;
  auto client = d.client();

  auto created = client.post(kDeployments, deployment("web", 2));
  REQUIRE(created.ok());
  CHECK((*created)["metadata"]["name"] == "web");
  CHECK((*created)["metadata"]["namespace"] == "default");
  CHECK_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());
  const std::string rv = (*created)["metadata"]["resourceVersion"];
  CHECK(d.on_loop([&] { return d.store.count(skiff::config::Kind::kDeployment); }) == 1);

  auto got = client.get(kDeployments + "/web");
  REQUIRE(got.ok());
  CHECK((*got)["spec"]["replicas"] == 2);
  CHECK((*got)["metadata"]["resourceVersion"] == rv);

  REQUIRE(client.post(kDeployments, deployment("db", 1)).ok());
  auto list = client.get(kDeployments);
  REQUIRE(list.ok());
  CHECK((*list)["kind"] == "DeploymentList");
  CHECK((*list)["items"].size() == 2);
  auto selected = client.get(kDeployments + "?labelSelector=app%3Dweb");
  REQUIRE(selected.ok());
  REQUIRE((*selected)["items"].size() == 1);
  CHECK((*selected)["items"][0]["metadata"]["name"] == "web");
  auto all_ns = client.get("/apis/apps/v1/deployments?labelSelector=app!=web");
  REQUIRE(all_ns.ok());
  REQUIRE((*all_ns)["items"].size() == 1);
  CHECK((*all_ns)["items"][0]["metadata"]["name"] == "db");

  auto changed = client.put(kDeployments + "/web", deployment("web", 3));
  REQUIRE(changed.ok());
  CHECK((*changed)["spec"]["replicas"] == 3);
  const std::string rv2 = (*changed)["metadata"]["resourceVersion"];
  CHECK(std::stoull(rv2) > std::stoull(rv));

  // An unchanged object comes back with the same resourceVersion ("unchanged" in the CLI).
  auto unchanged = client.put(kDeployments + "/web", deployment("web", 3));
  REQUIRE(unchanged.ok());
  CHECK((*unchanged)["metadata"]["resourceVersion"] == rv2);

  auto deleted = client.del(kDeployments + "/web");
  REQUIRE(deleted.ok());
  CHECK((*deleted)["kind"] == "Status");
  CHECK((*deleted)["status"] == "Success");
  CHECK((*deleted)["details"]["name"] == "web");

  auto gone = client.get(kDeployments + "/web");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == 404);
  CHECK(gone.error().reason == "NotFound");
  CHECK(gone.error().message == "deployments.apps \"web\" not found");
}

TEST_CASE("creating a name twice is AlreadyExists 409") {
  Daemon d;
  auto client = d.client();
  REQUIRE(client.post(kDeployments, deployment("web", 1)).ok());
  auto again = client.post(kDeployments, deployment("web", 1));
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == 409);
  CHECK(again.error().reason == "AlreadyExists");
  CHECK(again.error().message.find("already exists") != std::string::npos);
}

TEST_CASE("malformed JSON is a 400 Status with the parse position") {
  Daemon d;
  auto client = d.client();
  auto res = client.request("POST", kDeployments, "{\"kind\": \"Deployment\", oops}");
  REQUIRE(res.ok());
  CHECK(res->status == 400);
  CHECK(res->body["kind"] == "Status");
  CHECK(res->body["reason"] == "BadRequest");
  const std::string message = res->body["message"];
  INFO(message);
  CHECK(message.find("malformed JSON body") != std::string::npos);
  CHECK(message.find("line 1, column 24") != std::string::npos);
}

TEST_CASE("unknown paths are 404 and wrong methods 405, both as Status") {
  Daemon d;
  auto client = d.client();
  auto missing = client.get("/api/v1/namespaces/default/persistentvolumeclaims");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == 404);
  CHECK(missing.error().message == "the server could not find the requested resource");

  // PATCH is served on objects, not on collections.
  auto patch = client.request("PATCH", kDeployments, "{}");
  REQUIRE(patch.ok());
  CHECK(patch->status == 405);
  CHECK(patch->body["reason"] == "MethodNotAllowed");
  auto del_collection = client.del(kDeployments);
  REQUIRE_FALSE(del_collection.ok());
  CHECK(del_collection.error().code == 405);
}

TEST_CASE("a body over the limit is 413 and a huge request head is refused") {
  ServerOptions options;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 8 * 1024;
  Daemon d(options);
  auto client = d.client();
  auto big = client.request("POST", kDeployments, std::string(64 * 1024, 'x'));
  REQUIRE(big.ok());
  CHECK(big->status == 413);
  CHECK(big->body["kind"] == "Status");
  CHECK(big->body["message"] == "the request body is larger than the limit of 1024 bytes");

  std::string head =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(32 * 1024, 'a') + "\r\n\r\n";
  auto reply = raw_exchange(d.port, head);
  CHECK(reply.rfind("HTTP/1.1 431", 0) == 0);

  // Garbage instead of HTTP is a 400, and the daemon keeps serving.
  auto garbage = raw_exchange(d.port, "NOT HTTP AT ALL\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(client.get_text("/healthz").ok());
}

TEST_CASE("Invalid 422 carries the validation message and causes") {
  Daemon d;
  auto client = d.client();
  auto res = client.post(kDeployments, deployment("web", -1));
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == 422);
  CHECK(res.error().reason == "Invalid");
  CHECK(res.error().message.rfind("Deployment \"web\" is invalid: ", 0) == 0);
  CHECK(res.error().message.find("spec.replicas") != std::string::npos);
  CHECK(res.error().message.find("must be greater than or equal to 0") != std::string::npos);
  REQUIRE_FALSE(res.error().causes.empty());
  CHECK(res.error().causes[0].field == "spec.replicas");
}

TEST_CASE("namespace and name in the body must agree with the path") {
  Daemon d;
  auto client = d.client();
  auto body = deployment("web", 1);
  body["metadata"]["namespace"] = "prod";
  auto ns = client.post(kDeployments, body);
  REQUIRE_FALSE(ns.ok());
  CHECK(ns.error().code == 400);
  CHECK(ns.error().message.find("does not match the namespace sent on the request") !=
        std::string::npos);

  REQUIRE(client.post(kDeployments, deployment("web", 1)).ok());
  auto name = client.put(kDeployments + "/web", deployment("other", 1));
  REQUIRE_FALSE(name.ok());
  CHECK(name.error().code == 400);
  CHECK(name.error().message ==
        "the name of the object (other) does not match the name on the URL (web)");
}

TEST_CASE("unknown fields come back as Warning headers") {
  Daemon d;
  auto client = d.client();
  auto body = deployment("web", 1);
  body["spec"]["replikas"] = 3;
  REQUIRE(client.post(kDeployments, body).ok());
  REQUIRE(client.warnings().size() == 1);
  CHECK(client.warnings()[0].find("replikas") != std::string::npos);
}

TEST_CASE("the scale subresource reads and sets replicas") {
  Daemon d;
  auto client = d.client();
  REQUIRE(client.post(kDeployments, deployment("web", 2)).ok());
  auto scale = client.get(kDeployments + "/web/scale");
  REQUIRE(scale.ok());
  CHECK((*scale)["kind"] == "Scale");
  CHECK((*scale)["spec"]["replicas"] == 2);
  CHECK((*scale)["status"]["selector"] == "app=web");
  auto scaled = client.put(kDeployments + "/web/scale", {{"spec", {{"replicas", 5}}}});
  REQUIRE(scaled.ok());
  CHECK((*scaled)["spec"]["replicas"] == 5);
  CHECK((*client.get(kDeployments + "/web"))["spec"]["replicas"] == 5);
}

TEST_CASE("pod logs come from the engine, several containers need a name") {
  Daemon d;
  auto client = d.client();
  const std::string pods = "/api/v1/namespaces/default/pods";
  auto one = client.post(pods, pod("one", {"app"}));
  REQUIRE(one.ok());
  const std::string uid = (*one)["metadata"]["uid"];
  auto text = client.get_text(pods + "/one/log");
  REQUIRE(text.ok());
  CHECK(*text == "uid=" + uid + " container=app previous=false\nline 2\nline 3\n");
  auto tail = client.get_text(pods + "/one/log?tailLines=2&previous=true");
  REQUIRE(tail.ok());
  CHECK(*tail == "line 2\nline 3\n");

  REQUIRE(client.post(pods, pod("two", {"a", "b"})).ok());
  auto unnamed = client.get_text(pods + "/two/log");
  REQUIRE_FALSE(unnamed.ok());
  CHECK(unnamed.error().code == 400);
  CHECK(unnamed.error().message ==
        "a container name must be specified for pod two, choose one of: [a b]");
  auto named = client.get_text(pods + "/two/log?container=b");
  REQUIRE(named.ok());
  CHECK(named->find("container=b") != std::string::npos);
  auto wrong = client.get_text(pods + "/two/log?container=c");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().message == "container c is not valid for pod two");
}

TEST_CASE("a watch receives ADDED, then MODIFIED, then DELETED") {
  Daemon d;
  auto client = d.client();
  REQUIRE(client.post(kDeployments, deployment("web", 1)).ok());
  REQUIRE(client.post(kDeployments, deployment("db", 1)).ok());  // filtered out below

  std::vector<std::string> seen;
  auto watcher = d.client();
  watcher.set_watch_idle_timeout(std::chrono::seconds(5));
  auto result = watcher.watch(kDeployments + "?labelSelector=app%3Dweb", [&](const json& event) {
    const std::string type = event["type"];
    seen.push_back(type + " " + event["object"]["metadata"]["name"].get<std::string>() + " " +
                   std::to_string(event["object"]["spec"]["replicas"].get<int>()));
    if (type == "ADDED") {
      // Changes from another client while the stream is open.
      CHECK(Client("127.0.0.1", d.port).put(kDeployments + "/web", deployment("web", 4)).ok());
    } else if (type == "MODIFIED") {
      CHECK(Client("127.0.0.1", d.port).del(kDeployments + "/web").ok());
    }
    return type != "DELETED" && seen.size() < 10;
  });
  INFO((result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
  CHECK(*result == true);  // ended by the callback
  CHECK(seen == std::vector<std::string>{"ADDED web 1", "MODIFIED web 4", "DELETED web 4"});
}

TEST_CASE("a watch from a resourceVersion skips what the client already has") {
  Daemon d;
  auto client = d.client();
  auto web = client.post(kDeployments, deployment("web", 1));
  REQUIRE(web.ok());
  const std::string rv = (*web)["metadata"]["resourceVersion"];
  std::thread maker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(Client("127.0.0.1", d.port).post(kDeployments, deployment("later", 1)).ok());
  });
  auto watcher = d.client();
  watcher.set_watch_idle_timeout(std::chrono::seconds(5));
  std::vector<std::string> seen;
  auto result =
      watcher.watch(kDeployments + "?watch=true&resourceVersion=" + rv, [&](const json& event) {
        seen.push_back(event["type"].get<std::string>() + " " +
                       event["object"]["metadata"]["name"].get<std::string>());
        return false;
      });
  maker.join();
  INFO((result.ok() ? std::string() : result.error().message));
  REQUIRE(result.ok());
  CHECK(seen == std::vector<std::string>{"ADDED later"});
}

TEST_CASE("stopping the server ends open watches") {
  skiff::metrics::Registry registry;
  ServerOptions options;
  options.metrics = &registry;
  Daemon d(options);
  auto watcher = d.client();
  watcher.set_watch_idle_timeout(std::chrono::seconds(10));
  std::thread stopper([&] {
    // Stops once the watch is open (the server counts it), not after a guessed delay: on a
    // loaded machine the watch may not have connected yet, and would then fail to connect.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (skiff::metrics::render(registry).find(
               "skiff_api_watch_clients{kind=\"Deployment\"} 1") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    d.on_loop([&] {
      d.server->stop();
      return 0;
    });
  });
  const auto start = std::chrono::steady_clock::now();
  auto result = watcher.watch(kDeployments, [](const json&) { return true; });
  stopper.join();
  REQUIRE(result.ok());
  CHECK(*result == false);  // ended by the server
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("healthz, and readyz listing a failing check with 503") {
  Daemon d({}, {{"store", [] { return std::string(); }},
                {"engine", [] { return std::string("not connected"); }}});
  auto client = d.client();
  auto health = client.get_text("/healthz");
  REQUIRE(health.ok());
  CHECK(*health == "ok");
  auto raw = client.request("GET", "/readyz?verbose");
  REQUIRE(raw.ok());
  CHECK(raw->status == 503);
  CHECK(raw->text ==
        "[+]ping ok\n[+]store ok\n[-]engine failed: not connected\nreadyz check failed");
  auto ready = client.get_text("/readyz");
  REQUIRE_FALSE(ready.ok());
  CHECK(ready.error().code == 503);
  CHECK(ready.error().message.find("[-]engine failed: not connected") != std::string::npos);
  auto store_only = client.get_text("/readyz/store");
  REQUIRE(store_only.ok());
  CHECK(*store_only == "ok");
  auto version = client.get("/version");
  REQUIRE(version.ok());
  CHECK((*version)["major"] == "1");
}

TEST_CASE("a second server on the same port fails with a clear message") {
  Daemon d;
  net::io_context io;
  skiff::controller::Store store;
  ServerOptions options;
  options.port = d.port;
  skiff::api::Server second(io, store, nullptr, options);
  auto started = second.start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().message ==
        "127.0.0.1:" + std::to_string(d.port) +
            ": address already in use — is another skiff daemon running?");
}

TEST_CASE("a client to a closed port reports the daemon as unavailable") {
  uint16_t port = 0;
  {
    net::io_context io;
    net::ip::tcp::acceptor acceptor(io, {net::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  Client client("127.0.0.1", port, std::chrono::seconds(2));
  auto res = client.get("/api/v1/pods");
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == 0);
  CHECK(res.error().reason == "Unavailable");
  CHECK(res.error().message ==
        "cannot reach the skiff daemon at 127.0.0.1:" + std::to_string(port) +
            ": Connection refused (is `skiff up` or `skiff daemon` running?)");
}

TEST_CASE("readyz passes with every check listed on verbose, and one check by name") {
  Daemon d({}, {{"store", [] { return std::string(); }}, {"engine", [] { return std::string(); }}});
  auto client = d.client();
  auto ready = client.get_text("/readyz");
  REQUIRE(ready.ok());
  CHECK(*ready == "ok");
  auto verbose = client.get_text("/readyz?verbose");
  REQUIRE(verbose.ok());
  CHECK(*verbose == "[+]ping ok\n[+]store ok\n[+]engine ok\nreadyz check passed");
  auto healthz = client.get_text("/healthz?verbose");
  REQUIRE(healthz.ok());
  CHECK(*healthz == "[+]ping ok\nhealthz check passed");
  auto missing = client.request("GET", "/readyz/nonesuch");
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
}

TEST_CASE("the API counts requests by verb and code, and open watch clients by kind") {
  skiff::metrics::Registry registry;
  ServerOptions options;
  options.metrics = &registry;
  Daemon d(options, {}, [&registry] { return skiff::metrics::render(registry); });
  auto client = d.client();
  auto metric = [&](const std::string& series) -> std::string {
    auto text = Client("127.0.0.1", d.port).get_text("/metrics");
    if (!text.ok()) return "<no /metrics>";
    const auto at = text->find(series + " ");
    if (at == std::string::npos) return "<absent>";
    const auto end = text->find('\n', at);
    return text->substr(at + series.size() + 1, end - at - series.size() - 1);
  };
  const std::string watchers = "skiff_api_watch_clients{kind=\"Deployment\"}";
  CHECK(metric(watchers) == "0");
  REQUIRE(client.post(kDeployments, deployment("web", 1)).ok());
  CHECK(metric("skiff_api_requests_total{verb=\"create\",code=\"201\"}") == "1");
  CHECK(client.get(kDeployments + "/nope").error().code == 404);
  CHECK(metric("skiff_api_requests_total{verb=\"get\",code=\"404\"}") == "1");

  auto watcher = d.client();
  watcher.set_watch_idle_timeout(std::chrono::seconds(5));
  std::string during;
  auto result = watcher.watch(kDeployments, [&](const json&) {
    during = metric(watchers);
    return false;  // the client hangs up
  });
  REQUIRE(result.ok());
  CHECK(during == "1");
  CHECK(metric("skiff_api_requests_total{verb=\"watch\",code=\"200\"}") == "1");
  // The server notices the hang-up and stops counting the watch.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (metric(watchers) != "0" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(metric(watchers) == "0");
}
