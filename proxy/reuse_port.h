// SO_REUSEPORT as an Asio socket option: lets each worker bind its own socket to one address so
// the kernel spreads connections (TCP) or client flows (UDP, by address hash) over workers.
#pragma once

#include <sys/socket.h>

#include <boost/asio/detail/socket_option.hpp>

namespace skiff::proxy {

using ReusePort = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace skiff::proxy
