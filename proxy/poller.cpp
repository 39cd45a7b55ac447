#include "proxy/poller.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace skiff::proxy {

namespace asio = boost::asio;
using boost::system::error_code;

Poller::Poller(asio::io_context& io) : watch_(io) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  error_code ec;
  if (fd >= 0) watch_.assign(fd, ec);  // the io_context watches it and owns it from here
  if (fd < 0 || ec) {
    // Sessions then fail to register and reset their clients; the worker itself keeps going.
    spdlog::error("proxy: cannot create the relay epoll set: {}",
                  fd < 0 ? std::strerror(errno) : ec.message());
    if (fd >= 0) ::close(fd);
  }
}

Poller::~Poller() { close(); }

error_code Poller::add(int fd, PollTarget* target, Handle& handle) {
  handle = 0;
  if (!watch_.is_open()) return asio::error::bad_descriptor;
  uint32_t index;
  if (free_.empty()) {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Slot& slot = slots_[index];
  epoll_event event{};
  event.events = kEvents;
  event.data.u64 = (static_cast<uint64_t>(slot.generation) << 32) | index;
  if (::epoll_ctl(watch_.native_handle(), EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    free_.push_back(index);
    return error_code(error, boost::system::system_category());
  }
  slot.target = target;
  handle = event.data.u64;
  if (!armed_) wait();
  return {};
}

void Poller::remove(Handle& handle) {
  if (handle == 0) return;
  const auto index = static_cast<uint32_t>(handle);
  Slot& slot = slots_[index];
  slot.target = nullptr;
  ++slot.generation;  // events still queued for the old registration no longer match
  if (slot.generation == 0) slot.generation = 1;
  free_.push_back(index);
  handle = 0;
}

void Poller::close() {
  error_code ignored;
  watch_.close(ignored);  // a pending wait completes with operation_aborted and stops there
}

void Poller::wait() {
  armed_ = true;
  watch_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const error_code& ec) {
    if (ec) {
      armed_ = false;
    } else {
      dispatch();
    }
  });
}

void Poller::dispatch() {
  if (!watch_.is_open()) {
    armed_ = false;
    return;
  }
  int n;
  do {
    n = ::epoll_wait(watch_.native_handle(), events_.data(), kBatch, 0);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; ++i) {
    const uint64_t key = events_[i].data.u64;
    const Slot& slot = slots_[static_cast<uint32_t>(key)];
    // Dropped: removed, possibly by an earlier event of this very batch.
    if (slot.target == nullptr || slot.generation != static_cast<uint32_t>(key >> 32)) continue;
    PollTarget* target = slot.target;  // on_events may add registrations, moving slots_
    target->on_events(events_[i].events);
  }
  if (n == kBatch) {
    // Possibly more ready: give the worker's other work a turn, then take the next batch.
    asio::post(watch_.get_executor(), [this] { dispatch(); });
    return;
  }
  wait();
}

}  // namespace skiff::proxy
