// SessionAffinity: `sessionAffinity: ClientIP` as kube-proxy does it. A client address that
// opened a connection within the last `timeout` goes to the endpoint it went to then; otherwise
// (or when that endpoint left, was excluded or is ejected) the inner policy picks and the
// choice is remembered. Each new connection refreshes the client's timestamp, like the
// iptables `recent --set` rule kube-proxy installs.
//
// The table is shared by every worker (SO_REUSEPORT spreads one client's connections over
// workers), so it is split into kShards stripes with a mutex each: a pick locks one stripe for
// a hash lookup. Expired entries are dropped as a stripe grows, so the table stays the size of
// the recently seen clients.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "proxy/balancer.h"

namespace skiff::proxy {

class SessionAffinity final : public Balancer {
 public:
  SessionAffinity(std::unique_ptr<Balancer> inner, int64_t timeout_ns);
  std::optional<std::size_t> pick(const PickContext& context) override;

  int64_t timeout_ns() const { return timeout_ns_; }
  // Clients remembered (including expired entries not yet dropped); for tests.
  std::size_t size() const;

 private:
  static constexpr std::size_t kShards = 16;
  struct KeyHash {
    std::size_t operator()(const ClientKey& key) const noexcept;
  };
  struct Entry {
    uint64_t endpoint_id = 0;
    int64_t last_used = 0;
  };
  struct alignas(64) Shard {
    mutable std::mutex mutex;  // guards entries and next_sweep
    std::unordered_map<ClientKey, Entry, KeyHash> entries;
    std::size_t next_sweep = 64;  // sweep expired entries when entries grows past this
  };

  std::unique_ptr<Balancer> inner_;
  int64_t timeout_ns_;
  std::array<Shard, kShards> shards_;
};

}  // namespace skiff::proxy
