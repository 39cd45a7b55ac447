// A LogStream over dockerd's GET /containers/{id}/logs (with follow=1 for `logs -f`): the
// multiplexed stdout/stderr frames are demuxed and relayed as they arrive; dockerd applies
// tail, since and timestamps itself (it keeps a time per line).
//
// The docker client pushes body data as it arrives and cannot pause the connection, so a
// reader slower than the container writes is bounded instead: past kMaxBufferedLogBytes not
// yet taken, the stream is cut (as the API server drops a watcher that falls behind).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "controller/engine/docker_client.h"
#include "controller/engine/engine.h"

namespace skiff::controller::engine {

constexpr size_t kMaxBufferedLogBytes = 8u << 20;

// The dockerd request for a container's logs (versioned target). Pure.
std::string docker_logs_target(const std::string& container_id, const LogOptions& options);

// Starts the request; errors (dockerd unreachable, an error status) end the stream.
std::unique_ptr<LogStream> open_docker_log(boost::asio::io_context& io, docker::Client& client,
                                           const std::string& container_id,
                                           const LogOptions& options);

}  // namespace skiff::controller::engine
