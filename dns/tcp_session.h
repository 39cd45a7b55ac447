// One DNS-over-TCP client connection (RFC 7766): length-prefixed queries answered in order, many
// per connection, closed after an idle period. Lives in a shared_ptr held by its pending
// operations; runs only on its worker's thread.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dns/answerer.h"
#include "dns/codec.h"

namespace skiff::dns {

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  // `answer` computes the response of one query into `out`; `on_close` is told once when the
  // connection ends so the worker can forget the session.
  using AnswerFn =
      std::function<Disposition(std::span<const uint8_t>, Query&, std::vector<uint8_t>&)>;

  // Resolves a query the zone does not hold; calls back on the session's thread with the
  // encoded response.
  using ForwardFn =
      std::function<void(const Query&, std::function<void(const std::vector<uint8_t>&)>)>;

  TcpSession(boost::asio::ip::tcp::socket socket, std::chrono::milliseconds idle_timeout,
             AnswerFn answer, ForwardFn forward, std::function<void(TcpSession*)> on_close);

  void start();
  void close();

 private:
  void watch_idle();
  void read_length();
  void read_body(std::size_t length);
  void on_body();
  void write_out();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_;
  std::chrono::milliseconds idle_timeout_;
  AnswerFn answer_;
  ForwardFn forward_;
  std::function<void(TcpSession*)> on_close_;
  std::array<uint8_t, 2> length_{};
  std::array<uint8_t, 2> out_length_{};
  std::vector<uint8_t> in_;
  std::vector<uint8_t> out_;
  Query query_;
  bool closed_ = false;
};

}  // namespace skiff::dns
