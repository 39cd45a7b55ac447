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
  // Adds the route to the `local` table. When the same route already exists it is used and
  // left in place at exit (someone else made it).
  static config::Result<std::unique_ptr<LocalRoute>> add(const std::string& cidr);
  // Removes the route if add() created it.
  ~LocalRoute();
  LocalRoute(const LocalRoute&) = delete;
  LocalRoute& operator=(const LocalRoute&) = delete;

  const std::string& cidr() const { return cidr_; }
  bool owned() const { return owned_; }

 private:
  LocalRoute(std::string cidr, uint32_t network, int prefix, bool owned)
      : cidr_(std::move(cidr)), network_(network), prefix_(prefix), owned_(owned) {}
  std::string cidr_;
  uint32_t network_;  // network byte order
  int prefix_;
  bool owned_;
};

}  // namespace skiff::controller::engine
