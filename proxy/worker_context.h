// WorkerContext: what one worker's listeners and sessions share. Everything here is touched only
// on that worker's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>

#include "proxy/pipe_pool.h"
#include "proxy/poller.h"
#include "proxy/proxy_metrics.h"
#include "proxy/session_set.h"

namespace skiff::proxy {

struct WorkerContext {
  // Copy relays read into this one buffer and write it out at once; only bytes the destination
  // cannot take yet are copied into a session's own buffer. So idle sessions hold no buffer and
  // a read allocates nothing.
  static constexpr std::size_t kScratchSize = 64 * 1024;

  WorkerContext(boost::asio::io_context& io, ProxyMetrics& metrics)
      : io(io), metrics(metrics), poller(io), scratch(std::make_unique<char[]>(kScratchSize)) {}

  boost::asio::io_context& io;
  ProxyMetrics& metrics;
  Poller poller;  // the relay sockets of every session
  SessionSet sessions;
  PipePool pipes;
  std::unique_ptr<char[]> scratch;
};

}  // namespace skiff::proxy
