// Listener: one worker's socket for one listener key (TCP acceptor or UDP socket). The worker
// keeps listeners whose key stays in the snapshot and only swaps their route.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>

#include "proxy/route.h"

namespace skiff::proxy {

class Listener {
 public:
  virtual ~Listener() = default;
  // Opens and binds with SO_REUSEPORT, so every worker can hold one for the same key; the error
  // carries the reason (e.g. address in use).
  virtual boost::system::error_code open(const boost::asio::ip::address& address,
                                         uint16_t port) = 0;
  // New connections (flows) use this route; established ones keep the route they started with.
  virtual void set_route(RoutePtr route) = 0;
  virtual void start() = 0;
  // Stops accepting. TCP sessions are the worker's to close; UDP flows end with the listener.
  virtual void close() = 0;
};

}  // namespace skiff::proxy
