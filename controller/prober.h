// Probe checks, run asynchronously on the controller loop: single checks (TCP connect,
// HTTP GET) and the Prober that repeats one on a schedule with kubelet's thresholds. The
// kubelet runs one Prober per probe of a container: readiness, liveness and startup.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff::controller {

using CheckDone = std::function<void(bool success)>;
// One attempt of a probe; must call done exactly once, on the loop, never inline.
using ProbeCheck = std::function<void(CheckDone done)>;

// Success when a TCP connection to host:port is established within `timeout`.
void tcp_check(boost::asio::io_context& io, const std::string& host, uint16_t port,
               std::chrono::milliseconds timeout, CheckDone done);
// An HTTP/1.1 GET of `path`; success when the status is 200..399 within `timeout`.
void http_get_check(boost::asio::io_context& io, const std::string& host, uint16_t port,
                    const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::chrono::milliseconds timeout, CheckDone done);

struct ProbeSchedule {
  std::chrono::milliseconds initial_delay{0};
  std::chrono::milliseconds period{10000};
  // Period used until the first success (0: `period`); lets port checks find a server fast.
  std::chrono::milliseconds period_until_success{0};
  int success_threshold = 1;
  int failure_threshold = 3;
  // The result before any check, as kubelet's: false for readiness (not ready until it
  // passes; true for a container adopted as ready), true for liveness (alive until it
  // fails), nullopt for startup (unknown: both outcomes are reported).
  std::optional<bool> initial_result = false;
};

// Runs `check` every period after the initial delay. The result turns true after
// success_threshold consecutive successes and false after failure_threshold consecutive
// failures; on_change is called (on the loop) each time the result changes, including from
// unknown. Stopping (or destroying) it cancels pending work; no callback runs after that.
class Prober {
 public:
  Prober(boost::asio::io_context& io, ProbeSchedule schedule, ProbeCheck check,
         std::function<void(bool ready)> on_change);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  void start();
  void stop();
  bool ready() const;  // the current result; false while unknown

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::controller
