#include "controller/engine/local_route.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::controller::engine {

namespace {

// What an existing route for the range is to this daemon.
enum class Existing { kNone, kOurs, kOthers, kConflict };

// One RTM_NEWROUTE/RTM_DELROUTE request for `network/prefix` type local via lo, table local;
// returns 0 or the kernel's negative errno.
int route_request(uint16_t type, uint16_t flags, uint32_t network, int prefix) {
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  if (lo == 0) return -errno;
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct {
    nlmsghdr n;
    rtmsg r;
    char attrs[64];
  } req{};
  req.n.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.n.nlmsg_type = type;
  req.n.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  req.n.nlmsg_seq = 1;
  req.r.rtm_family = AF_INET;
  req.r.rtm_dst_len = static_cast<unsigned char>(prefix);
  req.r.rtm_table = RT_TABLE_LOCAL;
  req.r.rtm_protocol = LocalRoute::kProtocol;
  req.r.rtm_scope = RT_SCOPE_HOST;
  req.r.rtm_type = RTN_LOCAL;
  auto add_attr = [&req](uint16_t attr, const void* data, size_t len) {
    auto* rta =
        reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.n.nlmsg_len));
    rta->rta_type = attr;
    rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(rta), data, len);
    req.n.nlmsg_len = NLMSG_ALIGN(req.n.nlmsg_len) + RTA_ALIGN(rta->rta_len);
  };
  add_attr(RTA_DST, &network, sizeof network);
  add_attr(RTA_OIF, &lo, sizeof lo);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  int result = 0;
  if (::sendto(fd, &req, req.n.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) <
      0) {
    result = -errno;
  } else {
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      result = -errno;
    } else {
      auto* h = reinterpret_cast<nlmsghdr*>(buf);
      if (NLMSG_OK(h, static_cast<unsigned>(n)) && h->nlmsg_type == NLMSG_ERROR) {
        result = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
      }
    }
  }
  ::close(fd);
  return result;
}

// Looks the range up in the local table (an RTM_GETROUTE dump): a local route skiff made
// (its protocol number) is kOurs, one someone else made kOthers, a route of another type
// (unicast, broadcast...) for the same range kConflict. `what` describes a conflicting route.
Existing find_existing(uint32_t network, int prefix, std::string& what) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Existing::kNone;
  struct {
    nlmsghdr n;
    rtmsg r;
  } req{};
  req.n.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.n.nlmsg_type = RTM_GETROUTE;
  req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.n.nlmsg_seq = 2;
  req.r.rtm_family = AF_INET;
  req.r.rtm_table = RT_TABLE_LOCAL;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  Existing found = Existing::kNone;
  if (::sendto(fd, &req, req.n.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) <
      0) {
    ::close(fd);
    return found;
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  alignas(nlmsghdr) char buf[16384];
  for (bool done = false; !done;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    auto len = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
        done = true;
        break;
      }
      if (h->nlmsg_type != RTM_NEWROUTE) continue;
      const auto* r = static_cast<const rtmsg*>(NLMSG_DATA(h));
      if (r->rtm_family != AF_INET || r->rtm_dst_len != prefix) continue;
      uint32_t table = r->rtm_table;
      bool dst_matches = false;
      int attr_len = static_cast<int>(RTM_PAYLOAD(h));
      for (auto* a = RTM_RTA(r); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
        if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          std::memcpy(&table, RTA_DATA(a), sizeof table);
        } else if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
          uint32_t dst = 0;
          std::memcpy(&dst, RTA_DATA(a), sizeof dst);
          dst_matches = dst == network;
        }
      }
      if (table != RT_TABLE_LOCAL || !dst_matches || found != Existing::kNone) continue;
      if (r->rtm_type != RTN_LOCAL) {
        found = Existing::kConflict;
        what =
            "a route of type " + std::to_string(r->rtm_type) + " (see ip route show table local)";
      } else {
        found = r->rtm_protocol == LocalRoute::kProtocol ? Existing::kOurs : Existing::kOthers;
      }
    }
  }
  ::close(fd);
  return found;
}

// Takes the range's claim: the lock file, created if need be, locked exclusively without
// waiting, and the pid written in it for the error a second daemon gets. Returns its
// descriptor, -1 when no claim file can be made (a read-only /run; then nothing guards the
// range, as before claims existed), or the error naming the daemon that holds it.
config::Result<int> claim(const std::string& cidr, uint32_t network, int prefix) {
  char dotted[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &network, dotted, sizeof dotted);
  const std::string path = std::string(LocalRoute::kLockDir) + "/service-cidr-" + dotted + "_" +
                           std::to_string(prefix) + ".lock";
  if (::mkdir(LocalRoute::kLockDir, 0755) != 0 && errno != EEXIST) {
    spdlog::warn("cannot make {}: {}; nothing stops another daemon from using {} too",
                 LocalRoute::kLockDir, std::strerror(errno), cidr);
    return -1;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    spdlog::warn("cannot open {}: {}; nothing stops another daemon from using {} too", path,
                 std::strerror(errno), cidr);
    return -1;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (error != EWOULDBLOCK) {
      return config::ApiError{
          500,
          "InternalError",
          "claiming the service CIDR " + cidr + " (" + path + "): " + std::strerror(error),
          {}};
    }
    return config::ApiError{409,
                            "Conflict",
                            "the service CIDR " + cidr + " is used by another skiff daemon" +
                                (holder.empty() ? "" : " (pid " + holder + ")") +
                                " on this host; give this one another --service-cidr",
                            {}};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    spdlog::debug("writing the pid into {}: {}", path, std::strerror(errno));
  }
  return fd;
}

}  // namespace

config::Result<std::unique_ptr<LocalRoute>> LocalRoute::add(const std::string& cidr) {
  const auto slash = cidr.find('/');
  in_addr addr{};
  int prefix = -1;
  if (slash != std::string::npos) {
    try {
      prefix = std::stoi(cidr.substr(slash + 1));
    } catch (const std::exception&) {
    }
  }
  if (slash == std::string::npos || prefix < 1 || prefix > 32 ||
      ::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    return config::ApiError::bad_request("service CIDR " + cidr + ": expected a.b.c.d/len");
  }
  const uint32_t mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
  const uint32_t network = htonl(ntohl(addr.s_addr) & mask);
  auto claimed = claim(cidr, network, prefix);
  if (!claimed) return claimed.error();
  const int claim_fd = *claimed;
  auto made = [&](bool owned) {
    return std::unique_ptr<LocalRoute>(new LocalRoute(cidr, network, prefix, owned, claim_fd));
  };
  const int r = route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, network, prefix);
  if (r == -EEXIST) {
    std::string what;
    switch (find_existing(network, prefix, what)) {
      case Existing::kOurs:
        // Left by a skiff that could not clean up (kill -9, a crash): taken over, and removed
        // at this daemon's exit.
        spdlog::info(
            "service CIDR {} is local on this host: taking over the route an earlier skiff "
            "left (route local {} dev lo proto {})",
            cidr, cidr, static_cast<int>(kProtocol));
        return made(true);
      case Existing::kConflict:
        if (claim_fd >= 0) ::close(claim_fd);
        return config::ApiError{409,
                                "Conflict",
                                "making the service CIDR " + cidr +
                                    " local: the local routing table holds " + what +
                                    " for it; remove it or choose another --service-cidr",
                                {}};
      case Existing::kOthers:
      case Existing::kNone:  // the dump could not say: the kernel did
        break;
    }
    spdlog::info(
        "the local route for {} exists already (not made by skiff); it is left in "
        "place at exit",
        cidr);
    return made(false);
  }
  if (r != 0) {
    if (claim_fd >= 0) ::close(claim_fd);
    return config::ApiError{403,
                            "Forbidden",
                            "making the service CIDR " + cidr + " local (ip route add local " +
                                cidr + " dev lo): " + std::strerror(-r) +
                                (r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : ""),
                            {}};
  }
  spdlog::info("service CIDR {} is local on this host (route local {} dev lo)", cidr, cidr);
  return made(true);
}

LocalRoute::~LocalRoute() {
  if (owned_) {
    const int r = route_request(RTM_DELROUTE, 0, network_, prefix_);
    if (r != 0 && r != -ESRCH) {
      spdlog::warn("removing the local route for {}: {}", cidr_, std::strerror(-r));
    }
  }
  // The claim goes last, so the next daemon finds the route gone. The file stays: removing it
  // would race with a daemon that has just opened it.
  if (claim_fd_ >= 0) ::close(claim_fd_);
}

}  // namespace skiff::controller::engine
