#include "controller/engine/image_store.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "config/dockerfile.h"
#include "controller/rfc3339.h"

namespace skiff::controller::engine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A stable 256-bit content id (four FNV-1a lanes); not cryptographic, only an identity.
std::string content_id(const std::string& text) {
  std::string out;
  for (uint64_t lane = 0; lane < 4; ++lane) {
    uint64_t h = 1469598103934665603ull ^ (lane * 0x9e3779b97f4a7c15ull);
    for (unsigned char c : text) {
      h ^= c;
      h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
  }
  return out;
}

std::string escape_ref(const std::string& ref) {
  std::string out;
  for (char c : ref) {
    if (c == '%') {
      out += "%25";
    } else if (c == '/') {
      out += "%2F";
    } else if (c == ':') {
      out += "%3A";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string normalize_image_ref(const std::string& ref) {
  auto slash = ref.rfind('/');
  std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (ref.empty() || last.find(':') != std::string::npos || ref.find('@') != std::string::npos) {
    return ref;
  }
  return ref + ":latest";
}

ImageStore::ImageStore(fs::path state_dir) : dir_(std::move(state_dir) / "images") {}

fs::path ImageStore::record_path(const std::string& normalized_ref) const {
  return dir_ / (escape_ref(normalized_ref) + ".json");
}

Result<ImageConfig> ImageStore::build(const std::string& ref, const fs::path& dir) {
  if (ref.empty()) return ApiError::bad_request("build: an image name (-t NAME) is required");
  std::error_code ec;
  fs::path abs = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(abs, ec)) {
    return ApiError::bad_request("build: " + dir.string() + ": no such directory");
  }
  std::ifstream in(abs / "Dockerfile", std::ios::binary);
  if (!in) return ApiError::bad_request("build: " + (abs / "Dockerfile").string() + ": not found");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = config::parse_dockerfile(text.str());
  if (!parsed) {
    ApiError e = parsed.error();
    e.message = "build: " + e.message;
    return e;
  }
  ImageConfig image;
  image.ref = normalize_image_ref(ref);
  image.id = content_id(image.ref + "\n" + text.str());
  image.entrypoint = parsed->entrypoint;
  image.cmd = parsed->cmd;
  image.env = parsed->env;
  image.working_dir = abs.string();
  image.exposed_ports = parsed->exposed_ports;

  json record = {{"ref", image.ref},
                 {"dir", abs.string()},
                 {"entrypoint", image.entrypoint},
                 {"cmd", image.cmd},
                 {"env", json::array()},
                 {"working_dir", image.working_dir},
                 {"image_working_dir", parsed->working_dir},
                 {"exposed_ports", image.exposed_ports},
                 {"id", image.id},
                 {"created", rfc3339_now()}};
  for (const auto& [k, v] : image.env) record["env"].push_back(json::array({k, v}));

  fs::create_directories(dir_, ec);
  if (ec)
    return ApiError{500, "InternalError", "build: " + dir_.string() + ": " + ec.message(), {}};
  fs::path target = record_path(image.ref);
  fs::path temp = target;
  temp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << record.dump(2) << "\n";
    if (!out.flush()) {
      return ApiError{500, "InternalError", "build: cannot write " + temp.string(), {}};
    }
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    return ApiError{500, "InternalError", "build: cannot save " + target.string(), {}};
  }
  return image;
}

std::optional<ImageConfig> ImageStore::find(const std::string& ref) const {
  if (ref.empty()) return std::nullopt;
  std::ifstream in(record_path(normalize_image_ref(ref)), std::ios::binary);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  try {
    ImageConfig image;
    image.ref = j.at("ref").get<std::string>();
    image.id = j.value("id", "");
    image.entrypoint = j.value("entrypoint", std::vector<std::string>{});
    image.cmd = j.value("cmd", std::vector<std::string>{});
    for (const auto& e : j.value("env", json::array())) {
      image.env.emplace_back(e.at(0).get<std::string>(), e.at(1).get<std::string>());
    }
    image.working_dir = j.value("working_dir", j.value("dir", ""));
    image.exposed_ports = j.value("exposed_ports", std::vector<std::string>{});
    return image;
  } catch (const json::exception&) {
    return std::nullopt;  // a damaged record reads as an absent image
  }
}

}  // namespace skiff::controller::engine
