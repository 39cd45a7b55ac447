// Makes an IPv4 range local to this host, as `ip route add local CIDR dev lo` does (the
// "AnyIP" route kube-proxy's IPVS mode relies on): every address of the range is this host's,
// so the proxy can listen on any ClusterIP and containers reach it through their gateway,
// without an address per Service. Needs CAP_NET_ADMIN. Talks rtnetlink directly.
#pragma once

#include <memory>
#include <string>

#include "config/status.h"

namespace skiff::controller::engine {

class LocalRoute {
 public:
  // The routing protocol number skiff's routes carry (`ip route show table local proto 83`):
  // it tells a route an earlier skiff left (killed before it could remove it) from one
  // somebody else made.
  static constexpr unsigned char kProtocol = 83;

  // Where the claims live: one lock file per range, `service-cidr-A.B.C.D_LEN.lock`.
  static constexpr const char* kLockDir = "/run/skiff";

  // Claims the range for this daemon, then adds the route to the `local` table. The claim is
  // an flock held for the daemon's life (the kernel drops it when the process dies, even by
  // kill -9): a second daemon asking for the same range gets a clear error naming the first
  // one's pid, instead of sharing the route and removing it under the first at its exit. When
  // a local route for the range exists already, it is used: taken over (and removed at exit)
  // if skiff made it, else left in place at exit. A route of another type for the same range
  // is an error.
  static config::Result<std::unique_ptr<LocalRoute>> add(const std::string& cidr);
  // Removes the route if add() created it, then gives up the claim.
  ~LocalRoute();
  LocalRoute(const LocalRoute&) = delete;
  LocalRoute& operator=(const LocalRoute&) = delete;

  const std::string& cidr() const { return cidr_; }
  bool owned() const { return owned_; }

 private:
  LocalRoute(std::string cidr, uint32_t network, int prefix, bool owned, int claim_fd)
      : cidr_(std::move(cidr)),
        network_(network),
        prefix_(prefix),
        owned_(owned),
        claim_fd_(claim_fd) {}
  std::string cidr_;
  uint32_t network_;  // network byte order
  int prefix_;
  bool owned_;
  int claim_fd_;  // the locked claim file, -1 when none could be made (see claim())
};

}  // namespace skiff::controller::engine
