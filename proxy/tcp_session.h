// TcpSession: one client connection relayed to one endpoint. The session owns both sockets and
// is kept alive only by its pending operations (shared_ptr captured in each handler), so it ends
// by itself when both directions are done or on the first error. Runs on one worker thread.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <memory>

#include "proxy/route.h"
#include "proxy/session_set.h"

namespace skiff::proxy {

class TcpSession final : public Session, public std::enable_shared_from_this<TcpSession> {
 public:
  static constexpr std::size_t kBufferSize = 64 * 1024;  // per direction, reused for the session
  static constexpr std::size_t kMaxConnectTries = 3;

  TcpSession(boost::asio::ip::tcp::socket client, Route route, SessionSet& sessions);
  ~TcpSession() override;

  // Connects to endpoint `first` of the route (the balancer's pick); on refusal or timeout tries
  // the following endpoints, at most kMaxConnectTries distinct ones, then resets the client.
  void start(std::size_t first);
  void close() override;

 private:
  // One direction of the relay: bytes read from `from` are written to `to`.
  struct Pipe {
    boost::asio::ip::tcp::socket* from;
    boost::asio::ip::tcp::socket* to;
    std::unique_ptr<std::array<char, kBufferSize>> buffer;
    bool done = false;  // EOF seen on `from` and passed on as shutdown(send) of `to`
  };

  void connect_next();
  void on_connected(const boost::system::error_code& ec);
  void read(Pipe& pipe);
  void on_read(Pipe& pipe, const boost::system::error_code& ec, std::size_t n);
  // Both directions done: close both sockets normally.
  void finish();
  // Error on one side: reset both so neither peer mistakes it for a clean end.
  void abort();

  boost::asio::ip::tcp::socket client_;
  boost::asio::ip::tcp::socket upstream_;
  boost::asio::steady_timer connect_timer_;
  Route route_;
  SessionSet& sessions_;
  std::size_t first_ = 0;
  std::size_t tries_ = 0;
  bool connecting_ = false;
  bool closed_ = false;
  Pipe to_upstream_;
  Pipe to_client_;
};

}  // namespace skiff::proxy
