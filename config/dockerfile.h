// A Dockerfile reduced to what running its image needs: the final stage's ENTRYPOINT, CMD,
// ENV, WORKDIR, EXPOSE and the base image. Pure: parses text, touches no files.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/status.h"

namespace skiff::config {

struct DockerfileImage {
  std::string base;                     // FROM of the last stage
  std::vector<std::string> entrypoint;  // shell form becomes {"/bin/sh", "-c", "..."}
  std::vector<std::string> cmd;
  std::vector<std::pair<std::string, std::string>> env;  // in order; later wins
  std::string working_dir;                               // absolute inside the image; "" when unset
  std::vector<std::string> exposed_ports;                // "5000/tcp"
};

// Errors name the line: "Dockerfile:7: ENV: missing value for X".
Result<DockerfileImage> parse_dockerfile(std::string_view text);

}  // namespace skiff::config
