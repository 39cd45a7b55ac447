// SessionSet: the live sessions of one worker, so stop() can close them. Touched only on the
// worker's own thread (sessions register and unregister there), hence no lock.
#pragma once

#include <unordered_set>
#include <vector>

namespace skiff::proxy {

class Session {
 public:
  virtual ~Session() = default;
  // Closes the session's sockets; its pending operations then finish and release it.
  virtual void close() = 0;
};

class SessionSet {
 public:
  void add(Session* session) { sessions_.insert(session); }
  void remove(Session* session) { sessions_.erase(session); }
  std::size_t size() const { return sessions_.size(); }

  void close_all() {
    // Copy first: closing must not invalidate the iteration even if a session unregisters.
    std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
    for (Session* s : sessions) s->close();
  }

 private:
  std::unordered_set<Session*> sessions_;
};

}  // namespace skiff::proxy
