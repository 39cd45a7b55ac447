// skiff: Kubernetes Services and Deployments on one machine. Subcommands follow kubectl's
// verbs for the client side and `up` / `daemon` for the daemon.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/client_commands.h"
#include "cli/daemon.h"
#include "cli/docker_build.h"
#include "cli/engine_factory.h"
#include "cli/log_format.h"
#include "cli/logs_command.h"
#include "cli/rollout_commands.h"
#include "config/manifest.h"
#include "controller/engine/image_store.h"

namespace {

using skiff::cli::ClientOptions;
using skiff::cli::DaemonOptions;

// Parses "10s", "500ms", "2m" (or plain milliseconds) for flags that take durations.
std::chrono::milliseconds parse_duration(const std::string& text) {
  size_t pos = 0;
  long value = std::stol(text, &pos);
  std::string unit = text.substr(pos);
  if (unit.empty() || unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::seconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  throw CLI::ValidationError("duration", "expected a number with ms, s or m: " + text);
}

void add_daemon_flags(CLI::App* cmd, DaemonOptions& d, std::string& api, std::string& state,
                      std::string& backoff) {
  cmd->add_option("--api-addr", api, "API and metrics address")->capture_default_str();
  cmd->add_option("--state-dir", state, "where images, pod logs and state live");
  cmd->add_option("--engine", d.engine, "container engine: process or docker")
      ->capture_default_str();
  cmd->add_option("--node-address", d.node_address,
                  "address LoadBalancer and NodePort Services listen on")
      ->capture_default_str();
  cmd->add_option("--pod-cidr", d.pod_cidr, "pod IPs of the process engine")->capture_default_str();
  cmd->add_option("--service-cidr", d.service_cidr,
                  "ClusterIP range (default: 127.96.0.0/12; 10.96.0.0/12 with --engine docker)");
  cmd->add_option("--proxy-workers", d.proxy_workers, "proxy threads (0: one per core)");
  cmd->add_option("--dns-addr", d.dns_address, "cluster DNS address, UDP and TCP ('' turns it off)")
      ->capture_default_str();
  cmd->add_option("--dns-upstream", d.dns_upstreams,
                  "servers for names outside the cluster domain (default: /etc/resolv.conf)");
  cmd->add_option("--cluster-domain", d.cluster_domain, "the cluster's DNS zone")
      ->capture_default_str();
  cmd->add_option("--dns-ttl", d.dns_ttl, "TTL of cluster DNS answers, in seconds")
      ->capture_default_str();
  cmd->add_flag("--dns-pod-records,!--no-dns-pod-records", d.dns_pod_records,
                "answer <a-b-c-d>.<ns>.pod.<zone> (CoreDNS 'pods insecure')")
      ->capture_default_str();
  cmd->add_option("--dns-workers", d.dns_workers, "DNS threads (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--node-cpu", d.node_cpu,
                  "the node's CPU capacity (default: the machine's CPUs)");
  cmd->add_option("--node-memory", d.node_memory,
                  "the node's memory capacity (default: the machine's memory)");
  cmd->add_option("--system-reserved", d.system_reserved,
                  "capacity kept from pods: allocatable = capacity - this")
      ->capture_default_str();
  cmd->add_option("--max-pods", d.max_pods, "pods the node takes")->capture_default_str();
  cmd->add_option("--restart-backoff", backoff,
                  "base of the container restart back-off (kubelet: 10s)")
      ->capture_default_str();
}

bool finish_daemon_flags(DaemonOptions& d, const std::string& api, const std::string& state,
                         const std::string& backoff) {
  auto colon = api.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "error: --api-addr takes HOST:PORT\n";
    return false;
  }
  d.api_address = api.substr(0, colon);
  d.api_port = static_cast<uint16_t>(std::stoi(api.substr(colon + 1)));
  d.state_dir = state.empty() ? skiff::cli::default_state_dir() : std::filesystem::path(state);
  d.state_dir = std::filesystem::absolute(d.state_dir);
  d.restart_backoff_base = parse_duration(backoff);
  return true;
}

void print_diagnostics(const skiff::config::LoadResult& r) {
  for (const auto& d : r.diagnostics) {
    std::cerr << (d.severity == skiff::config::Diagnostic::Severity::kError ? "error: "
                                                                            : "Warning: ")
              << d.to_string() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"skiff: Kubernetes Services and Deployments on one machine"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--log-level) may follow the subcommand too
  app.set_version_flag("--version", std::string("skiff ") + skiff::cli::kVersion);

  ClientOptions client;
  if (const char* s = std::getenv("SKIFF_SERVER"); s && *s) client.server = s;
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text, or json: one object per line on stderr")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  DaemonOptions daemon;
  std::string api_addr = "127.0.0.1:8080", state_dir, backoff = "10s";
  std::vector<std::string> files;

  auto* up = app.add_subcommand("up", "run the daemon in the foreground and apply manifests");
  up->add_option("-f,--filename", files, "manifest files")->required();
  add_daemon_flags(up, daemon, api_addr, state_dir, backoff);

  auto* daemon_cmd = app.add_subcommand("daemon", "run the daemon without applying anything");
  add_daemon_flags(daemon_cmd, daemon, api_addr, state_dir, backoff);

  std::string tag, build_dir;
  auto* build = app.add_subcommand("build", "register a folder with a Dockerfile as an image");
  build->add_option("-t,--tag", tag, "image name[:tag]")->required();
  build->add_option("dir", build_dir, "the folder holding the Dockerfile")->required();
  build->add_option("--state-dir", state_dir, "where images are registered");
  std::string build_engine = "process";
  build
      ->add_option("--engine", build_engine,
                   "process (register the folder) or docker (docker build through dockerd)")
      ->check(CLI::IsMember({"process", "docker"}))
      ->capture_default_str();

  auto add_client_flags = [&](CLI::App* cmd) {
    cmd->add_option("-s,--server", client.server, "the daemon's API address")
        ->capture_default_str();
    cmd->add_option("-n,--namespace", client.ns, "namespace")->capture_default_str();
  };

  auto* apply = app.add_subcommand("apply", "create or update objects from manifests");
  apply->add_option("-f,--filename", files, "manifest files")->required();
  add_client_flags(apply);

  std::string kinds, output, selector;
  std::vector<std::string> names;
  bool watch = false;
  auto* get = app.add_subcommand("get", "list objects");
  get->add_option("kind", kinds, "pods, deployments, replicasets, services, endpoints, all")
      ->required();
  get->add_option("names", names, "object names");
  get->add_option("-o,--output", output, "wide, yaml, json or name");
  get->add_option("-l,--selector", selector, "label selector");
  get->add_flag("-w,--watch", watch, "watch for changes");
  get->add_flag("-A,--all-namespaces", client.all_namespaces, "all namespaces");
  add_client_flags(get);

  std::string kind;
  auto* describe = app.add_subcommand("describe", "show an object in detail");
  describe->add_option("kind", kind)->required();
  describe->add_option("names", names);
  add_client_flags(describe);

  std::vector<std::string> args;
  bool wait = true;
  auto* del = app.add_subcommand("delete", "delete objects");
  del->add_option("args", args, "KIND NAME... or KIND/NAME...");
  del->add_option("-f,--filename", files, "delete what these manifests name");
  del->add_option("--wait", wait, "wait until the objects are gone")->capture_default_str();
  add_client_flags(del);

  int replicas = -1;
  auto* scale = app.add_subcommand("scale", "set a Deployment's or ReplicaSet's replicas");
  scale->add_option("args", args, "deployment/NAME or deployment NAME")->required();
  scale->add_option("--replicas", replicas, "the new number of replicas")->required();
  add_client_flags(scale);

  skiff::cli::LogsOptions logs_options;
  auto* logs = app.add_subcommand("logs", "print a pod's container output");
  logs->add_option("target", logs_options.target,
                   "POD, pod/NAME, deploy/NAME or rs/NAME (one of its pods)")
      ->required();
  logs->add_option("-c,--container", logs_options.container);
  logs->add_flag("-p,--previous", logs_options.previous, "the run before the last restart");
  logs->add_flag("-f,--follow", logs_options.follow, "stream new output until the run ends");
  logs->add_option("--tail", logs_options.tail, "the last N lines (-1: all)")
      ->capture_default_str();
  logs->add_option("--since", logs_options.since, "only output newer than this (5s, 2m, 3h)");
  logs->add_option("--since-time", logs_options.since_time, "only output since this RFC 3339 time");
  logs->add_flag("--timestamps", logs_options.timestamps, "prefix each line with its time");
  logs->add_option("--limit-bytes", logs_options.limit_bytes, "stop after this many bytes");
  add_client_flags(logs);

  // rollout status|history|undo|restart|pause|resume deployment/NAME (cli/rollout_commands.h)
  std::vector<std::string> rollout_target;
  std::string rollout_timeout = "0s";
  bool rollout_watch = true;
  int revision = 0;
  auto* rollout = app.add_subcommand("rollout", "manage a Deployment's rollouts");
  rollout->require_subcommand(1);
  auto rollout_verb = [&](const char* name, const char* help) {
    auto* cmd = rollout->add_subcommand(name, help);
    cmd->add_option("target", rollout_target, "deployment/NAME")->required();
    add_client_flags(cmd);
    return cmd;
  };
  auto* rollout_status = rollout_verb("status", "wait until a rollout finishes");
  rollout_status->add_option("--timeout", rollout_timeout, "give up after (0s: never)")
      ->capture_default_str();
  rollout_status->add_option("-w,--watch", rollout_watch, "wait for the rollout to finish")
      ->capture_default_str();
  auto* rollout_history = rollout_verb("history", "list a Deployment's revisions");
  rollout_history->add_option("--revision", revision, "show this revision's pod template");
  auto* rollout_undo = rollout_verb("undo", "roll back to an earlier revision");
  rollout_undo->add_option("--to-revision", revision, "the revision (0: the previous one)");
  auto* rollout_restart = rollout_verb("restart", "replace every pod by a new rollout");
  auto* rollout_pause = rollout_verb("pause", "stop rolling out template changes");
  auto* rollout_resume = rollout_verb("resume", "roll out template changes again");

  CLI11_PARSE(app, argc, argv);
  skiff::cli::configure_logging(
      log_level, skiff::cli::parse_log_format(log_format).value_or(skiff::cli::LogFormat::kText));

  try {
    if (*up || *daemon_cmd) {
      if (!finish_daemon_flags(daemon, api_addr, state_dir, backoff)) return 2;
      if ((*up ? up : daemon_cmd)->count("--service-cidr") == 0) {
        daemon.service_cidr = skiff::cli::default_service_cidr(daemon.engine);
      }
      std::vector<skiff::config::Object> objects;
      for (const auto& f : files) {
        auto loaded = skiff::config::load_manifest_file(f);
        print_diagnostics(loaded);
        if (!loaded.ok()) {
          std::cerr << "error: " << f << " has errors; nothing was started\n";
          return 1;
        }
        for (auto& o : loaded.objects) objects.push_back(std::move(o));
      }
      return skiff::cli::run_daemon(daemon, std::move(objects));
    }
    if (*build) {
      if (build_engine == "docker") return skiff::cli::docker_build(tag, build_dir);
      const auto dir =
          state_dir.empty() ? skiff::cli::default_state_dir() : std::filesystem::path(state_dir);
      skiff::controller::engine::ImageStore images(std::filesystem::absolute(dir));
      auto built = images.build(tag, build_dir);
      if (!built) {
        std::cerr << "error: " << built.error().message << "\n";
        return 1;
      }
      std::cout << "Successfully built " << built->id << "\nSuccessfully tagged " << built->ref
                << "\n";
      return 0;
    }
    if (*apply) return skiff::cli::cmd_apply(client, files);
    if (*get) return skiff::cli::cmd_get(client, kinds, names, output, watch, selector);
    if (*describe) return skiff::cli::cmd_describe(client, kind, names);
    if (*del) return skiff::cli::cmd_delete(client, args, files, wait);
    if (*scale) return skiff::cli::cmd_scale(client, args, replicas);
    if (*logs) return skiff::cli::cmd_logs(client, logs_options);
    if (*rollout_status) {
      return skiff::cli::cmd_rollout_status(client, rollout_target, parse_duration(rollout_timeout),
                                            rollout_watch);
    }
    if (*rollout_history) return skiff::cli::cmd_rollout_history(client, rollout_target, revision);
    if (*rollout_undo) return skiff::cli::cmd_rollout_undo(client, rollout_target, revision);
    if (*rollout_restart) return skiff::cli::cmd_rollout_restart(client, rollout_target);
    if (*rollout_pause) return skiff::cli::cmd_rollout_pause(client, rollout_target, true);
    if (*rollout_resume) return skiff::cli::cmd_rollout_pause(client, rollout_target, false);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
