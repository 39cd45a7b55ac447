#include "cli/docker_build.h"

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "controller/engine/docker_api.h"
#include "controller/engine/docker_client.h"
#include "controller/engine/tar_writer.h"

namespace skiff::cli {
namespace docker = controller::engine::docker;

int docker_build(const std::string& tag, const std::filesystem::path& dir) {
  auto socket = docker::socket_from_docker_host(std::getenv("DOCKER_HOST"));
  if (!socket) {
    std::cerr << "error: " << socket.error().message << "\n";
    return 1;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "Dockerfile", ec)) {
    std::cerr << "error: " << (dir / "Dockerfile").string() << ": no such file\n";
    return 1;
  }
  auto context = controller::engine::tar_directory(dir);
  if (!context) {
    std::cerr << "error: " << context.error().message << "\n";
    return 1;
  }
  docker::Call call;
  call.method = boost::beast::http::verb::post;
  call.target = docker::versioned("/build?rm=1&forcerm=1&t=" + docker::query_escape(tag));
  call.body = std::move(*context);
  call.content_type = "application/x-tar";
  call.timeout = std::chrono::seconds(120);   // sending the context and the reply's head
  call.body_idle = std::chrono::minutes(10);  // a silent RUN step may take a while

  boost::asio::io_context io;
  docker::Client client(io, *socket);
  docker::LineSplitter lines;
  std::string error;
  std::optional<config::Result<docker::Reply>> result;
  auto on_line = [&](std::string_view line) {
    auto m = docker::parse_build_line(line);
    if (!m) {
      error = m.error().message;
      return;
    }
    if (!m->stream.empty()) std::cout << m->stream << std::flush;
    if (!m->error.empty()) error = m->error;
  };
  auto handle = client.stream(
      std::move(call), nullptr, [&](std::string_view data) { lines.feed(data, on_line); },
      [&](config::Result<docker::Reply> r) { result = std::move(r); });
  io.run();
  if (!result) {
    std::cerr << "error: the build ended without a reply from dockerd\n";
    return 1;
  }
  if (!*result) {
    std::cerr << "error: " << result->error().message << "\n";
    return 1;
  }
  if ((*result)->status != 200) {
    std::cerr << "error: " << docker::error_message((*result)->status, (*result)->body) << "\n";
    return 1;
  }
  if (!lines.rest().empty()) lines.feed("\n", on_line);
  if (!error.empty()) {
    std::cerr << "error: " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace skiff::cli
