#include "proxy/session_affinity.h"

#include <string_view>

namespace skiff::proxy {

std::size_t SessionAffinity::KeyHash::operator()(const ClientKey& key) const noexcept {
  return std::hash<std::string_view>()(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

SessionAffinity::SessionAffinity(std::unique_ptr<Balancer> inner, int64_t timeout_ns)
    : inner_(std::move(inner)), timeout_ns_(timeout_ns) {}

std::size_t SessionAffinity::size() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

std::optional<std::size_t> SessionAffinity::pick(const PickContext& context) {
  if (context.endpoints.empty()) return std::nullopt;
  Shard& shard = shards_[KeyHash()(context.client) % kShards];
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.entries.find(context.client);
    if (it != shard.entries.end() && context.now - it->second.last_used <= timeout_ns_) {
      for (std::size_t i = 0; i < context.endpoints.size(); ++i) {
        if (context.endpoints[i]->id != it->second.endpoint_id) continue;
        if (!candidate(context, i, false)) break;  // failed or ejected: choose again below
        it->second.last_used = context.now;
        return i;
      }
    }
  }
  // The inner policy runs unlocked; two first connections of one client racing on two workers
  // may both pick, and the later store wins, as with two conntrack entries in kube-proxy.
  const auto picked = inner_->pick(context);
  if (!picked) return picked;
  std::lock_guard lock(shard.mutex);
  shard.entries[context.client] = Entry{context.endpoints[*picked]->id, context.now};
  if (shard.entries.size() >= shard.next_sweep) {
    std::erase_if(shard.entries, [&](const auto& entry) {
      return context.now - entry.second.last_used > timeout_ns_;
    });
    shard.next_sweep = std::max<std::size_t>(64, shard.entries.size() * 2);
  }
  return picked;
}

}  // namespace skiff::proxy
