// Poller: one worker's epoll set for relay sockets, nested in the worker's io_context.
//
// Why not asio's own reactor: an asio async_wait re-arms its descriptor with EPOLL_CTL_MOD every
// time, so a relayed request/response cost two epoll_ctl calls on top of its recv and send. Here
// a socket is added once, edge-triggered for input, output and peer close, and never modified:
// its owner reacts to the events it gets and otherwise relies on the next edge. The epoll
// descriptor itself is watched by the io_context (one wait per batch of events, not per event),
// so timers, listeners and posted work keep running on asio in the same thread.
//
// A registration is removed with remove(), which costs no syscall and takes effect at once,
// even for events of the batch being dispatched: each event carries a slot index and the
// generation of the slot, and events of a removed registration are dropped. That also covers a
// registration that outlives close(2) because a forked child briefly holds the descriptor (epoll
// forgets a descriptor only when its last holder closes it). Call remove() before close(2).
#pragma once

#include <sys/epoll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <vector>

namespace skiff::proxy {

class PollTarget {
 public:
  // The epoll events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP) of one edge.
  virtual void on_events(uint32_t events) = 0;

 protected:
  ~PollTarget() = default;
};

class Poller {
 public:
  // Names one registration; 0 is none.
  using Handle = uint64_t;

  // Events handled per epoll_wait before the worker's other work gets a turn.
  static constexpr int kBatch = 64;
  static constexpr uint32_t kEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

  explicit Poller(boost::asio::io_context& io);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Registers `fd` (edge-triggered: kEvents); target->on_events runs on the worker thread for
  // every edge until remove(handle). `target` must stay valid until then. Fails when epoll
  // could not be created, the poller is closed, or epoll refuses the descriptor.
  boost::system::error_code add(int fd, PollTarget* target, Handle& handle);
  // Ends a registration (handle becomes 0); call it before closing the descriptor.
  void remove(Handle& handle);

  // Stops dispatching (the worker is stopping). Registered descriptors stay their owners' to close.
  void close();

  std::size_t registered() const { return slots_.size() - free_.size(); }

 private:
  struct Slot {
    PollTarget* target = nullptr;
    uint32_t generation = 1;
  };

  void wait();
  void dispatch();

  boost::asio::posix::stream_descriptor watch_;  // the epoll set, as the io_context sees it
  bool armed_ = false;  // a wait or a dispatch is under way; it ends by arming the next one
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // indexes of unused slots
  std::array<epoll_event, kBatch> events_{};
};

}  // namespace skiff::proxy
