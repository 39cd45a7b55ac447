#include "controller/backoff.h"

#include <algorithm>

namespace skiff::controller {

const RestartBackoff::Entry* RestartBackoff::live(const std::string& key,
                                                  Clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.last_restart > 2 * max_) return nullptr;
  return &it->second;
}

RestartBackoff::Duration RestartBackoff::delay(const std::string& key,
                                               Clock::time_point now) const {
  const Entry* e = live(key, now);
  if (!e) return Duration::zero();
  auto remaining = std::chrono::duration_cast<Duration>(e->last_restart + e->window - now);
  return std::max(remaining, Duration::zero());
}

RestartBackoff::Duration RestartBackoff::window(const std::string& key,
                                                Clock::time_point now) const {
  const Entry* e = live(key, now);
  return e ? e->window : base_;
}

void RestartBackoff::record_restart(const std::string& key, Clock::time_point now) {
  const Entry* e = live(key, now);
  Duration next = e ? std::min(e->window * 2, max_) : base_;
  entries_[key] = Entry{next, now};
}

std::string format_go_duration(std::chrono::milliseconds d) {
  long long ms = d.count();
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  if (ms < 0) ms = -ms;
  if (ms < 1000) return sign + std::to_string(ms) + "ms";
  long long h = ms / 3600000, m = (ms / 60000) % 60, s = (ms / 1000) % 60, frac = ms % 1000;
  std::string sec = std::to_string(s);
  if (frac) {
    std::string f = std::to_string(frac + 1000).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    sec += "." + f;
  }
  sec += "s";
  if (h) return sign + std::to_string(h) + "h" + std::to_string(m) + "m" + sec;
  if (m) return sign + std::to_string(m) + "m" + sec;
  return sign + sec;
}

}  // namespace skiff::controller
