// The responder against a second real client library: c-ares, as a resolver embedded in an
// application would use it (one UDP query, answers parsed by ares_parse_*_reply).
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/select.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dns/responder.h"
#include "web_service.h"

using skiff::controller::ServiceTable;
using skiff::controller::ServiceTableSource;
using skiff::controller::ServiceView;
using skiff::dns::Responder;
using skiff::dns::ResponderOptions;

namespace {

constexpr int kClassIn = 1;
constexpr int kTypeA = 1;
constexpr int kTypeSrv = 33;

ServiceView web() { return skiff::test::web_service(); }

// What one ares_query call delivered to its callback.
struct Reply {
  bool done = false;
  int status = ARES_ENOTINITIALIZED;
  std::vector<unsigned char> packet;
};

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* reply = static_cast<Reply*>(arg);
  reply->done = true;
  reply->status = status;
  if (abuf != nullptr && alen > 0) reply->packet.assign(abuf, abuf + alen);
}

// c-ares needs library init once per process; the guard pairs it with cleanup.
struct AresLibrary {
  AresLibrary() { status = ares_library_init(ARES_LIB_INIT_ALL); }
  ~AresLibrary() {
    if (status == ARES_SUCCESS) ares_library_cleanup();
  }
  int status;
};

// A channel whose only server is 127.0.0.1:`port`, without reading /etc/resolv.conf search
// domains or hosts files, so nothing leaves loopback.
class Channel {
 public:
  explicit Channel(uint16_t port) {
    ares_options options{};
    options.timeout = 2000;  // ms, with ARES_OPT_TIMEOUTMS
    options.tries = 2;
    options.ndots = 1;
    options.lookups = const_cast<char*>("b");  // DNS only, no /etc/hosts
    const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS | ARES_OPT_LOOKUPS;
    status_ = ares_init_options(&channel_, &options, mask);
    if (status_ != ARES_SUCCESS) return;
    const std::string servers = "127.0.0.1:" + std::to_string(port);
    status_ = ares_set_servers_ports_csv(channel_, servers.c_str());
  }
  ~Channel() {
    if (channel_ != nullptr) ares_destroy(channel_);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  int status() const { return status_; }

  // Sends one query and drives the event loop until the callback ran or 10 s passed.
  Reply query(const std::string& name, int type) {
    Reply reply;
    ares_query(channel_, name.c_str(), kClassIn, type, on_reply, &reply);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!reply.done && std::chrono::steady_clock::now() < deadline) {
      fd_set read_fds;
      fd_set write_fds;
      FD_ZERO(&read_fds);
      FD_ZERO(&write_fds);
      const int nfds = ares_fds(channel_, &read_fds, &write_fds);
      if (nfds == 0) break;  // nothing pending: the callback must have run
      timeval max_wait{0, 200 * 1000};
      timeval wait{};
      timeval* tv = ares_timeout(channel_, &max_wait, &wait);
      select(nfds, &read_fds, &write_fds, nullptr, tv);
      ares_process(channel_, &read_fds, &write_fds);
    }
    if (!reply.done) ares_cancel(channel_);  // runs the callback with ARES_ECANCELLED
    return reply;
  }

 private:
  ares_channel channel_ = nullptr;
  int status_ = ARES_ENOTINITIALIZED;
};

struct Harness {
  Harness() : responder(source, options()) {
    auto t = std::make_shared<ServiceTable>();
    t->version = 1;
    t->services = {web()};
    source.publish(t);
    const auto started = responder.start();
    INFO((started ? *started : started.error().message));
    REQUIRE(started);
    port = responder.udp_port();
    REQUIRE(port != 0);
  }
  static ResponderOptions options() {
    ResponderOptions o;
    o.port = 0;
    o.forward = false;
    return o;
  }
  ServiceTableSource source;
  Responder responder;
  uint16_t port = 0;
};

}  // namespace

TEST_CASE("c-ares resolves a ClusterIP A record and a named port's SRV record") {
  AresLibrary library;
  REQUIRE(library.status == ARES_SUCCESS);
  Harness h;
  Channel channel(h.port);
  INFO(ares_strerror(channel.status()));
  REQUIRE(channel.status() == ARES_SUCCESS);

  SECTION("A") {
    const Reply reply = channel.query("web.default.svc.cluster.local", kTypeA);
    INFO(ares_strerror(reply.status));
    REQUIRE(reply.status == ARES_SUCCESS);
    hostent* host = nullptr;
    std::vector<ares_addrttl> ttls(4);
    int count = static_cast<int>(ttls.size());
    REQUIRE(ares_parse_a_reply(reply.packet.data(), static_cast<int>(reply.packet.size()), &host,
                               ttls.data(), &count) == ARES_SUCCESS);
    std::unique_ptr<hostent, void (*)(hostent*)> owned(host, ares_free_hostent);
    REQUIRE(count == 1);
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &ttls[0].ipaddr, text, sizeof text);
    CHECK(std::string(text) == "127.96.0.10");
    CHECK(ttls[0].ttl == 5);
    CHECK(std::string(host->h_name) == "web.default.svc.cluster.local");
  }

  SECTION("SRV") {
    const Reply reply = channel.query("_http._tcp.web.default.svc.cluster.local", kTypeSrv);
    INFO(ares_strerror(reply.status));
    REQUIRE(reply.status == ARES_SUCCESS);
    ares_srv_reply* srv = nullptr;
    REQUIRE(ares_parse_srv_reply(reply.packet.data(), static_cast<int>(reply.packet.size()),
                                 &srv) == ARES_SUCCESS);
    std::unique_ptr<ares_srv_reply, void (*)(void*)> owned(srv, ares_free_data);
    REQUIRE(srv != nullptr);
    CHECK(srv->next == nullptr);
    CHECK(srv->port == 80);
    CHECK(srv->priority == 0);
    CHECK(srv->weight == 100);
    CHECK(std::string(srv->host) == "web.default.svc.cluster.local");
  }

  SECTION("a name the zone does not hold is NXDOMAIN") {
    const Reply reply = channel.query("nope.default.svc.cluster.local", kTypeA);
    CHECK(reply.status == ARES_ENOTFOUND);
  }
}
