// Port ownership for SO_REUSEPORT listeners. SO_REUSEPORT lets any process of the same user bind
// an address:port skiff serves and silently take a share of its connections or datagrams (the
// kernel spreads them over every socket in the group). Before skiff first binds such an
// address, it binds a probe socket there WITHOUT SO_REUSEPORT: if that fails with EADDRINUSE,
// somebody else (another skiff daemon, or anything) holds the port, and skiff reports it instead
// of joining their group.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>

namespace skiff::net {

enum class Transport { kTcp, kUdp };

// "" when address:port is free (or when a probe socket cannot even be made: the real bind then
// reports the problem); "Address already in use" when something holds it.
std::string probe_exclusive_bind(const boost::asio::ip::address& address, uint16_t port,
                                 Transport transport);

}  // namespace skiff::net
