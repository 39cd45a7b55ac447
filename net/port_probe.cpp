#include "net/port_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skiff::net {

std::string probe_exclusive_bind(const boost::asio::ip::address& address, uint16_t port,
                                 Transport transport) {
  const bool udp = transport == Transport::kUdp;
  const bool v6 = address.is_v6();
  const int fd =
      ::socket(v6 ? AF_INET6 : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  int one = 1;
  // SO_REUSEADDR (TCP only) so a TIME_WAIT left by our own earlier listener does not count as
  // taken; a listening socket, with or without SO_REUSEPORT, still makes this bind fail.
  if (!udp) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    auto bytes = address.to_v6().to_bytes();
    std::memcpy(&a->sin6_addr, bytes.data(), bytes.size());
    length = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    auto bytes = address.to_v4().to_bytes();
    std::memcpy(&a->sin_addr, bytes.data(), bytes.size());
    length = sizeof *a;
  }
  std::string error;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 && errno == EADDRINUSE) {
    error = std::strerror(EADDRINUSE);
  }
  ::close(fd);
  return error;
}

}  // namespace skiff::net
