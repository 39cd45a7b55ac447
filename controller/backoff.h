// Restart back-off for crashing containers, as kubelet's flowcontrol.Backoff keyed by
// pod/container: the first restart is immediate; a container that exits again before its
// back-off window (measured from its last restart) has passed waits out the rest of the window,
// and each restart doubles the window (base, 2*base, ... up to max). An entry that saw no
// restart for 2*max is forgotten, so a container that ran that long starts over at base.
// Pure: the caller passes the time.
#pragma once

#include <chrono>
#include <map>
#include <string>

namespace skiff::controller {

class RestartBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::milliseconds;

  RestartBackoff(Duration base, Duration max) : base_(base), max_(max) {}

  // How long a container that exited at `now` must wait before its restart; zero: restart now.
  Duration delay(const std::string& key, Clock::time_point now) const;
  // The window that applies to the container now (what the CrashLoopBackOff message shows).
  Duration window(const std::string& key, Clock::time_point now) const;
  // Records a restart at `now` and grows the window.
  void record_restart(const std::string& key, Clock::time_point now);
  void forget(const std::string& key) { entries_.erase(key); }

 private:
  struct Entry {
    Duration window;
    Clock::time_point last_restart;
  };
  const Entry* live(const std::string& key, Clock::time_point now) const;

  Duration base_;
  Duration max_;
  std::map<std::string, Entry> entries_;
};

// A duration as Go prints it, as kubelet's messages do: "10s", "2m40s", "5m0s", "100ms".
std::string format_go_duration(std::chrono::milliseconds d);

}  // namespace skiff::controller
