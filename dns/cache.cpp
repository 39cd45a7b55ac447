#include "dns/cache.h"

#include <algorithm>
#include <limits>

namespace skiff::dns {

Answer answer_from(const Message& response) {
  Answer a;
  a.rcode = static_cast<Rcode>(response.rcode());
  a.recursion_available = true;
  a.answer = response.answer;
  a.authority = response.authority;
  for (const Record& r : response.additional) {
    if (r.type != rrtype::kOpt) a.additional.push_back(r);
  }
  return a;
}

Cache::Cache(std::size_t capacity, uint32_t max_ttl)
    : capacity_(std::max<std::size_t>(1, capacity)), max_ttl_(max_ttl) {}

std::string Cache::key_of(const Question& q) {
  std::string key = q.name;
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  key += '/' + std::to_string(q.type) + '/' + std::to_string(q.klass);
  return key;
}

void Cache::put(const Question& question, const Message& response, Clock::time_point now) {
  if (response.truncated()) return;
  const uint16_t rcode = response.rcode();
  if (rcode != static_cast<uint16_t>(Rcode::kNoError) &&
      rcode != static_cast<uint16_t>(Rcode::kNxDomain)) {
    return;
  }
  uint32_t ttl = std::numeric_limits<uint32_t>::max();
  if (rcode == static_cast<uint16_t>(Rcode::kNoError) && !response.answer.empty()) {
    for (const Record& r : response.answer) ttl = std::min(ttl, r.ttl);
  } else {
    const auto soa = std::find_if(response.authority.begin(), response.authority.end(),
                                  [](const Record& r) { return r.type == rrtype::kSoa; });
    if (soa == response.authority.end()) return;
    ttl = std::min(soa->ttl, std::get<SoaData>(soa->data).minimum);
  }
  ttl = std::min(ttl, max_ttl_);
  if (ttl == 0) return;

  const std::string key = key_of(question);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key, answer_from(response), now, now + std::chrono::seconds(ttl)});
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

std::optional<Answer> Cache::get(const Question& question, Clock::time_point now) {
  const std::string key = key_of(question);
  std::lock_guard lock(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  const auto entry = it->second;
  if (now >= entry->expires) {
    lru_.erase(entry);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  const auto age = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now - entry->stored).count());
  Answer a = entry->answer;
  for (auto* section : {&a.answer, &a.authority, &a.additional}) {
    for (Record& r : *section) r.ttl = r.ttl > age ? r.ttl - age : 0;
  }
  return a;
}

std::size_t Cache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace skiff::dns
