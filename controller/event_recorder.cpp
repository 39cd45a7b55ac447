#include "controller/event_recorder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <tuple>

#include "controller/rfc3339.h"

namespace skiff::controller {
namespace {

constexpr int kCreateAttempts = 4;  // a name taken (an Event from the API) tries the next one

// Cuts at a UTF-8 character boundary.
std::string truncate_message(const std::string& message) {
  if (message.size() <= kMaxEventMessageBytes) return message;
  size_t end = kMaxEventMessageBytes;
  while (end > 0 && (static_cast<unsigned char>(message[end]) & 0xC0) == 0x80) --end;
  return message.substr(0, end);
}

std::chrono::system_clock::time_point seen_at(const config::Event& e) {
  const auto& stamp = e.last_timestamp.empty() ? e.first_timestamp : e.last_timestamp;
  if (auto t = parse_rfc3339(stamp)) return *t;
  if (auto t = parse_rfc3339(e.metadata.creation_timestamp)) return *t;
  return {};  // no time at all: the oldest there is
}

}  // namespace

std::string event_key(const config::Event& e) {
  const auto& o = e.involved_object;
  // \x1f cannot appear in names; messages may hold anything, so it goes last.
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
                     e.metadata.namespace_, o.kind, o.namespace_, o.name, o.uid, o.api_version,
                     o.field_path, e.source.component, e.source.host, e.type, e.reason) +
         "\x1f" + e.message;
}

config::Event make_event(const EventTarget& target, const std::string& component,
                         const std::string& host, const std::string& type,
                         const std::string& reason, const std::string& message,
                         std::chrono::system_clock::time_point now, uint64_t sequence) {
  config::Event e;
  const auto nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  e.metadata.name = fmt::format("{}.{:x}", target.name, nanos + sequence);
  e.metadata.namespace_ = target.ns.empty() ? "default" : target.ns;
  e.involved_object.kind = target.kind;
  e.involved_object.api_version = target.api_version;
  e.involved_object.namespace_ = e.metadata.namespace_;
  e.involved_object.name = target.name;
  e.involved_object.uid = target.uid;
  e.involved_object.field_path = target.field_path;
  e.reason = reason;
  e.message = truncate_message(message);
  e.source.component = component;
  e.source.host = host;
  e.first_timestamp = e.last_timestamp = to_rfc3339(now);
  e.count = 1;
  e.type = type;
  return e;
}

std::vector<std::pair<std::string, std::string>> events_to_prune(
    const std::vector<const config::Event*>& events, std::chrono::system_clock::time_point now,
    size_t max_events, std::chrono::seconds ttl) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::tuple<std::chrono::system_clock::time_point, const config::Event*>> kept;
  for (const auto* e : events) {
    if (!e) continue;
    const auto at = seen_at(*e);
    if (at + ttl < now) {
      out.emplace_back(e->metadata.namespace_, e->metadata.name);
    } else {
      kept.emplace_back(at, e);
    }
  }
  if (kept.size() > max_events) {
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
      return std::get<1>(a)->metadata.name < std::get<1>(b)->metadata.name;
    });
    for (size_t i = 0; i < kept.size() - max_events; ++i) {
      const auto* e = std::get<1>(kept[i]);
      out.emplace_back(e->metadata.namespace_, e->metadata.name);
    }
  }
  return out;
}

EventRecorder::EventRecorder(boost::asio::io_context& io, Store& store,
                             EventRecorderOptions options, Now now)
    : io_(io), store_(store), options_(std::move(options)), now_(std::move(now)) {}

EventRecorder::~EventRecorder() {
  *alive_ = false;
  if (sweep_timer_) sweep_timer_->cancel();
}

void EventRecorder::start() {
  reindex();
  prune();
  schedule_sweep();
}

void EventRecorder::record(const EventTarget& target, const std::string& component,
                           const std::string& type, const std::string& reason,
                           const std::string& message) {
  // The time is taken now; the write waits for the loop (the caller may be inside a store
  // watch callback, where the store must not change).
  config::Event occurrence =
      make_event(target, component, options_.host, type, reason, message, now_(), ++sequence_);
  spdlog::debug("event {} {}/{} {}: {}", type, target.kind, target.name, reason, message);
  boost::asio::post(io_, [this, alive = alive_, occurrence = std::move(occurrence)] {
    if (*alive) write(occurrence);
  });
}

void EventRecorder::write(const config::Event& occurrence) {
  const std::string key = event_key(occurrence);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    auto stored = store_.get(Kind::kEvent, it->second.first, it->second.second);
    if (const auto* existing = as<config::Event>(stored); existing && event_key(*existing) == key) {
      config::Event next = *existing;
      next.count = std::max(next.count, 0) + 1;
      next.last_timestamp = occurrence.last_timestamp;
      next.metadata.resource_version = 0;
      auto r = store_.update(config::Object(std::move(next)));
      if (!r) spdlog::warn("event {}: update failed: {}", it->second.second, r.error().message);
      return;
    }
    by_key_.erase(it);  // deleted (pruned, or through the API): write it anew
  }
  config::Event fresh = occurrence;
  const std::string base = fresh.metadata.name;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    if (attempt > 0) fresh.metadata.name = fmt::format("{}{}", base, attempt);
    auto r = store_.create(config::Object(fresh));
    if (r) {
      by_key_[key] = {fresh.metadata.namespace_, fresh.metadata.name};
      if (store_.count(Kind::kEvent) > options_.max_events) prune();
      return;
    }
    if (r.error().code != 409) {
      spdlog::warn("event {}: create failed: {}", fresh.metadata.name, r.error().message);
      return;
    }
  }
  spdlog::warn("event {}: no free name after {} attempts", base, kCreateAttempts);
}

void EventRecorder::prune() {
  auto objects = store_.list(Kind::kEvent);
  std::vector<const config::Event*> events;
  for (const auto& o : objects) events.push_back(as<config::Event>(o));
  for (const auto& [ns, name] :
       events_to_prune(events, now_(), options_.max_events, options_.ttl)) {
    auto r = store_.remove(Kind::kEvent, ns, name);
    if (!r && r.error().code != 404) {
      spdlog::warn("event {}/{}: delete failed: {}", ns, name, r.error().message);
    }
  }
}

void EventRecorder::reindex() {
  by_key_.clear();
  std::map<std::string, std::chrono::system_clock::time_point> newest;
  for (const auto& o : store_.list(Kind::kEvent)) {
    const auto* e = as<config::Event>(o);
    if (!e) continue;
    const std::string key = event_key(*e);
    const auto at = seen_at(*e);
    if (auto it = newest.find(key); it != newest.end() && it->second > at) continue;
    newest[key] = at;
    by_key_[key] = {e->metadata.namespace_, e->metadata.name};
  }
}

void EventRecorder::schedule_sweep() {
  if (options_.sweep_period.count() <= 0) return;
  if (!sweep_timer_) sweep_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  sweep_timer_->expires_after(options_.sweep_period);
  sweep_timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    prune();
    reindex();
    schedule_sweep();
  });
}

}  // namespace skiff::controller
