// `skiff build --engine docker -t NAME DIR`: the folder as a tar build context POSTed to
// dockerd's /build, its output streamed to the user as `docker build` shows it.
#pragma once

#include <filesystem>
#include <string>

namespace skiff::cli {

// Returns the exit code: 0 built and tagged; 1 with dockerd's message on stderr.
int docker_build(const std::string& tag, const std::filesystem::path& dir);

}  // namespace skiff::cli
