// Worker: one thread of the responder with its own io_context, UDP socket and TCP acceptor, both
// bound with SO_REUSEPORT so the kernel spreads clients over workers. Everything it owns is used
// only on its thread; what it shares (zone source, answerer, CIDR filter, metrics) is read-only
// or lock-free.
//
// UDP is served in batches: when the socket becomes readable the worker takes up to kBatch
// datagrams with one recvmmsg(), answers them into buffers allocated once, and sends the replies
// with one sendmmsg(), replies to the same client grouped into UDP GSO messages (ReplyBatch); it
// goes on until the socket is empty, or for a few rounds at most before it lets TCP and timers
// run and then comes back.
#pragma once

#include <sys/socket.h>

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

#include "dns/answerer.h"
#include "dns/cidr.h"
#include "dns/forward.h"
#include "dns/reply_batch.h"
#include "dns/tcp_session.h"
#include "dns/zone_source.h"

namespace skiff::dns {

class DnsMetrics;

struct WorkerShared {
  const ZoneSource& zones;
  const Answerer& answerer;
  const CidrSet& allowed;
  std::chrono::milliseconds tcp_idle_timeout;
  Forwarder* forwarder;  // null: names outside the zone are refused
  DnsMetrics* metrics;   // null: not measured
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
  static constexpr std::size_t kBatch = ReplyBatch::kMaxReplies;
  // Queries are small; a datagram larger than this is cut by the kernel and gets FORMERR.
  static constexpr std::size_t kQueryMax = 4096;

  using Clock = std::chrono::steady_clock;

  void wait_readable();
  void serve_udp();
  // Answers what the UDP socket holds, in batches, until it is empty (true) or kMaxRounds
  // batches have been served (false: more may be queued).
  bool drain_udp();
  void answer_datagram(std::size_t i, Clock::time_point received);
  void send_replies();
  // A grouped message the kernel refused: its replies as datagrams of their own.
  void send_one_by_one(std::size_t message);
  void accept();
  // Answers a query the zone does not hold, from the forwarder's cache or upstream (SERVFAIL when
  // no upstream answers); `send` gets the encoded response on this worker's thread.
  void forward(const Query& query, std::size_t limit, Clock::time_point received,
               std::function<void(const std::vector<uint8_t>&)> send);
  bool allowed(const boost::asio::ip::address& address) const;
  bool allowed(const sockaddr_storage& from) const;
  void close_all();

  WorkerShared shared_;
  ZoneView zone_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  boost::asio::ip::udp::socket udp_{io_};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::steady_timer accept_retry_{io_};  // paces accept after errors such as EMFILE
  uint16_t port_ = 0;

  // UDP batch state, allocated once: datagram i lands in in_[i * kQueryMax]; the batch's n-th
  // reply is written into out_[n] and recorded in batch_.
  std::unique_ptr<uint8_t[]> in_;
  std::array<sockaddr_storage, kBatch> from_{};
  std::array<iovec, kBatch> in_iov_{};
  std::array<mmsghdr, kBatch> in_msgs_{};
  std::array<std::vector<uint8_t>, kBatch> out_;
  ReplyBatch batch_;
  Query query_;  // scratch reused by every UDP query

  std::map<TcpSession*, std::weak_ptr<TcpSession>> sessions_;
  std::thread thread_;
};

}  // namespace skiff::dns
