#include "controller/prober.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

namespace skiff::controller {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One connection attempt with a deadline; `finish` is called once.
struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(asio::io_context& io, CheckDone d) : socket(io), timer(io), done(std::move(d)) {}
  tcp::socket socket;
  asio::steady_timer timer;
  CheckDone done;
  bool finished = false;
  std::string request;
  std::string response;
  std::array<char, 1024> buf{};

  void finish(bool ok) {
    if (finished) return;
    finished = true;
    boost::system::error_code ignored;
    timer.cancel();
    socket.close(ignored);
    auto d = std::move(done);
    d(ok);
  }
  bool begin(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
             std::function<void()> on_connected) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) {
      auto self = shared_from_this();
      asio::post(socket.get_executor(), [self] { self->finish(false); });
      return false;
    }
    auto self = shared_from_this();
    timer.expires_after(timeout);
    timer.async_wait([self](const boost::system::error_code& e) {
      if (!e) self->finish(false);
    });
    socket.async_connect(tcp::endpoint(addr, port),
                         [self, on_connected](const boost::system::error_code& e) {
                           if (self->finished) return;
                           if (e) return self->finish(false);
                           on_connected();
                         });
    return true;
  }
  void read_status() {
    auto self = shared_from_this();
    socket.async_read_some(asio::buffer(buf), [self](const boost::system::error_code& e, size_t n) {
      if (self->finished) return;
      self->response.append(self->buf.data(), n);
      auto eol = self->response.find("\r\n");
      if (eol == std::string::npos && !e && self->response.size() < 4096) {
        return self->read_status();
      }
      // "HTTP/1.1 200 OK"
      const std::string& r = self->response;
      auto sp = r.find(' ');
      int code = 0;
      if (r.starts_with("HTTP/") && sp != std::string::npos && sp + 4 <= r.size()) {
        std::from_chars(r.data() + sp + 1, r.data() + sp + 4, code);
      }
      self->finish(code >= 200 && code < 400);
    });
  }
};

}  // namespace

void tcp_check(asio::io_context& io, const std::string& host, uint16_t port,
               std::chrono::milliseconds timeout, CheckDone done) {
  auto a = std::make_shared<Attempt>(io, std::move(done));
  std::weak_ptr<Attempt> weak = a;
  a->begin(host, port, timeout, [weak] {
    if (auto self = weak.lock()) self->finish(true);
  });
}

void http_get_check(asio::io_context& io, const std::string& host, uint16_t port,
                    const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::chrono::milliseconds timeout, CheckDone done) {
  auto a = std::make_shared<Attempt>(io, std::move(done));
  std::string target = path.empty() ? "/" : (path.front() == '/' ? path : "/" + path);
  a->request = "GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
               "\r\nUser-Agent: kube-probe/skiff\r\nAccept: */*\r\n";
  for (const auto& [k, v] : headers) a->request += k + ": " + v + "\r\n";
  a->request += "Connection: close\r\n\r\n";
  std::weak_ptr<Attempt> weak = a;
  a->begin(host, port, timeout, [weak] {
    auto self = weak.lock();
    if (!self) return;
    asio::async_write(self->socket, asio::buffer(self->request),
                      [self](const boost::system::error_code& e, size_t) {
                        if (self->finished) return;
                        if (e) return self->finish(false);
                        self->read_status();
                      });
  });
}

struct Prober::State : std::enable_shared_from_this<Prober::State> {
  State(asio::io_context& io, ProbeSchedule s, ProbeCheck c, std::function<void(bool)> f)
      : timer(io),
        schedule(s),
        check(std::move(c)),
        on_change(std::move(f)),
        ready(s.initial_result),
        ever_succeeded(s.initial_result.value_or(false)) {}
  asio::steady_timer timer;
  ProbeSchedule schedule;
  ProbeCheck check;
  std::function<void(bool)> on_change;
  bool stopped = false;
  std::optional<bool> ready;
  bool ever_succeeded = false;
  int successes = 0;
  int failures = 0;
  uint64_t generation = 0;  // a check's result counts only for the run that started it

  void arm(std::chrono::milliseconds delay) {
    auto self = shared_from_this();
    timer.expires_after(delay);
    timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec || self->stopped) return;
      self->run();
    });
  }
  void run() {
    auto self = shared_from_this();
    uint64_t gen = generation;
    check([self, gen](bool ok) {
      if (self->stopped || gen != self->generation) return;
      self->record(ok);
      auto period = self->schedule.period;
      if (!self->ever_succeeded && self->schedule.period_until_success.count() > 0) {
        period = self->schedule.period_until_success;
      }
      self->arm(period);
    });
  }
  void record(bool ok) {
    if (ok) {
      ever_succeeded = true;
      failures = 0;
      ++successes;
      if (ready != true && successes >= std::max(1, schedule.success_threshold)) set(true);
    } else {
      successes = 0;
      ++failures;
      if (ready != false && failures >= std::max(1, schedule.failure_threshold)) set(false);
      // After a failure marks it not ready, look for recovery at the fast period again.
      if (ready != true) ever_succeeded = false;
    }
  }
  void set(bool r) {
    ready = r;
    on_change(r);
  }
};

Prober::Prober(asio::io_context& io, ProbeSchedule schedule, ProbeCheck check,
               std::function<void(bool)> on_change)
    : state_(std::make_shared<State>(io, schedule, std::move(check), std::move(on_change))) {}

Prober::~Prober() { stop(); }

void Prober::start() {
  state_->stopped = false;
  ++state_->generation;
  state_->arm(state_->schedule.initial_delay);
}

void Prober::stop() {
  state_->stopped = true;
  ++state_->generation;
  state_->timer.cancel();
}

bool Prober::ready() const { return state_->ready.value_or(false); }

}  // namespace skiff::controller
