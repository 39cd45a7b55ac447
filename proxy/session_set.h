// SessionSet: the live TCP sessions of one worker, an intrusive list so that adding and removing
// cost no allocation. The worker walks it to drain sessions whose endpoint left, to close those
// of a deleted Service, and to close all on stop. Touched only on the worker's own thread.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace skiff::proxy {

struct RouteTable;

class Session {
 public:
  virtual ~Session() = default;
  // Closes the session's sockets (reset); it frees itself once its pending operations end.
  virtual void close() = 0;
  // The worker applied a new snapshot (e.g. the session's endpoint or Service may be gone).
  virtual void update(const RouteTable& table) = 0;

 private:
  friend class SessionSet;
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
};

class SessionSet {
 public:
  void add(Session* session) {
    session->prev_ = nullptr;
    session->next_ = head_;
    if (head_) head_->prev_ = session;
    head_ = session;
    ++size_;
  }
  void remove(Session* session) {
    if (session->prev_) session->prev_->next_ = session->next_;
    if (session->next_) session->next_->prev_ = session->prev_;
    if (head_ == session) head_ = session->next_;
    session->prev_ = session->next_ = nullptr;
    --size_;
  }
  std::size_t size() const { return size_; }

  // Calls f on every session; f may close (and so unlink) sessions, as they are gathered first.
  void for_each(const std::function<void(Session&)>& f) {
    std::vector<Session*> all;
    all.reserve(size_);
    for (Session* s = head_; s; s = s->next_) all.push_back(s);
    for (Session* s : all) f(*s);
  }

  void close_all() {
    for_each([](Session& s) { s.close(); });
  }

 private:
  Session* head_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace skiff::proxy
