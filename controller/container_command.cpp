#include "controller/container_command.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "config/expand.h"

namespace skiff::controller {
namespace {

void set_env(EnvList& env, const std::string& name, const std::string& value) {
  auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == name; });
  if (it != env.end()) {
    it->second = value;
  } else {
    env.emplace_back(name, value);
  }
}

config::VarLookup lookup_in(const EnvList& env) {
  return [&env](std::string_view name) -> std::optional<std::string> {
    for (auto it = env.rbegin(); it != env.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return std::nullopt;
  };
}

std::string env_name(std::string_view text) {
  std::string out;
  for (char c : text) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

EnvList service_link_env(const config::Service& service) {
  const auto& spec = service.spec;
  EnvList env;
  if (spec.cluster_ip.empty() || spec.cluster_ip == "None" || spec.type == "ExternalName" ||
      spec.ports.empty()) {
    return env;
  }
  const std::string prefix = env_name(service.metadata.name);
  const std::string& ip = spec.cluster_ip;
  const auto& first = spec.ports.front();
  env.emplace_back(prefix + "_SERVICE_HOST", ip);
  env.emplace_back(prefix + "_SERVICE_PORT", std::to_string(first.port));
  for (const auto& p : spec.ports) {
    if (!p.name.empty()) {
      env.emplace_back(prefix + "_SERVICE_PORT_" + env_name(p.name), std::to_string(p.port));
    }
  }
  env.emplace_back(prefix + "_PORT",
                   lower(first.protocol) + "://" + ip + ":" + std::to_string(first.port));
  for (const auto& p : spec.ports) {
    std::string port = std::to_string(p.port);
    std::string base = prefix + "_PORT_" + port + "_" + p.protocol;
    env.emplace_back(base, lower(p.protocol) + "://" + ip + ":" + port);
    env.emplace_back(base + "_PROTO", lower(p.protocol));
    env.emplace_back(base + "_PORT", port);
    env.emplace_back(base + "_ADDR", ip);
  }
  return env;
}

EnvList container_env(const config::Container& container, const engine::ImageConfig& image,
                      const PodEnvContext& pod) {
  EnvList env{{"PATH", kDefaultPath}, {"HOME", "/root"}};
  for (const auto& [name, value] : image.env) set_env(env, name, value);
  set_env(env, "HOSTNAME", pod.hostname.empty() ? pod.pod_name : pod.hostname);
  set_env(env, "POD_NAME", pod.pod_name);
  set_env(env, "POD_NAMESPACE", pod.pod_namespace);
  set_env(env, "POD_IP", pod.pod_ip);
  if (!container.ports.empty()) {
    set_env(env, "PORT", std::to_string(container.ports.front().container_port));
  }
  std::vector<const config::Service*> services;
  for (const auto& s : pod.services) services.push_back(&s);
  std::sort(services.begin(), services.end(),
            [](const auto* a, const auto* b) { return a->metadata.name < b->metadata.name; });
  for (const auto* s : services) {
    for (const auto& [name, value] : service_link_env(*s)) set_env(env, name, value);
  }
  for (const auto& var : container.env) {
    set_env(env, var.name, config::expand_vars(var.value, lookup_in(env)));
  }
  return env;
}

std::vector<std::string> container_argv(const config::Container& container,
                                        const engine::ImageConfig& image, const EnvList& env) {
  auto lookup = lookup_in(env);
  auto expanded = [&](const std::vector<std::string>& in) {
    std::vector<std::string> out;
    for (const auto& s : in) out.push_back(config::expand_vars(s, lookup));
    return out;
  };
  std::vector<std::string> argv;
  if (!container.command.empty()) {
    argv = expanded(container.command);
    auto args = expanded(container.args);
    argv.insert(argv.end(), args.begin(), args.end());
  } else if (!container.args.empty()) {
    argv = image.entrypoint;
    auto args = expanded(container.args);
    argv.insert(argv.end(), args.begin(), args.end());
  } else {
    argv = image.entrypoint;
    argv.insert(argv.end(), image.cmd.begin(), image.cmd.end());
  }
  return argv;
}

std::string container_working_dir(const config::Container& container,
                                  const engine::ImageConfig& image) {
  const std::filesystem::path dir(container.working_dir);
  std::error_code ec;
  if (dir.is_absolute() && std::filesystem::is_directory(dir, ec)) return container.working_dir;
  return image.working_dir;
}

}  // namespace skiff::controller
