// Worker: one thread of the responder with its own io_context, UDP socket and TCP acceptor, both
// bound with SO_REUSEPORT so the kernel spreads clients over workers. Everything it owns is used
// only on its thread; what it shares (snapshot source, answerer, CIDR filter) is read-only.
#pragma once

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "controller/service_table.h"
#include "dns/answerer.h"
#include "dns/cidr.h"
#include "dns/forward.h"
#include "dns/tcp_session.h"

namespace skiff::dns {

struct WorkerShared {
  const controller::ServiceTableSource& source;
  const Answerer& answerer;
  const CidrSet& allowed;
  std::chrono::milliseconds tcp_idle_timeout;
  Forwarder* forwarder;  // null: names outside the zone are refused
};

class Worker {
 public:
  explicit Worker(WorkerShared shared);
  ~Worker();  // joins; call stop() first
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds UDP then TCP at `address`:`port` (0: the kernel picks, for UDP; TCP takes the same
  // number). Before start() only. On failure nothing stays open.
  boost::system::error_code open(const boost::asio::ip::address& address, uint16_t port);
  uint16_t port() const { return port_; }

  void start();
  // Thread-safe: closes the sockets and sessions on the worker's thread, which then ends.
  void stop();
  void join();

 private:
  void receive();
  void on_receive(const boost::system::error_code& ec, std::size_t n);
  void accept();
  // Answers a query the zone does not hold, from the forwarder's cache or upstream (SERVFAIL when
  // no upstream answers); `send` gets the encoded response on this worker's thread.
  void forward(const Query& query, std::size_t limit,
               std::function<void(const std::vector<uint8_t>&)> send);
  bool allowed(const boost::asio::ip::address& address) const;
  void close_all();

  WorkerShared shared_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::ip::udp::socket udp_{io_};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::steady_timer accept_retry_{io_};  // paces accept after errors such as EMFILE
  uint16_t port_ = 0;
  boost::asio::ip::udp::endpoint sender_;
  std::unique_ptr<std::array<uint8_t, kMaxMessage>> buffer_;
  Query query_;               // scratch reused by every UDP query
  std::vector<uint8_t> out_;  // scratch reused by every UDP response
  std::map<TcpSession*, std::weak_ptr<TcpSession>> sessions_;
  std::thread thread_;
};

}  // namespace skiff::dns
