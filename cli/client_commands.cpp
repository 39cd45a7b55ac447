#include "cli/client_commands.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "api/client.h"
#include "cli/node_printer.h"
#include "cli/printers.h"
#include "config/kinds.h"
#include "config/manifest.h"
#include "config/objects_json.h"
#include "config/yaml_emit.h"

namespace skiff::cli {

using config::json;
using config::Kind;

api::Client make_client(const ClientOptions& c) {
  std::string host = c.server;
  uint16_t port = 8080;
  if (auto colon = host.rfind(':'); colon != std::string::npos) {
    port = static_cast<uint16_t>(std::stoi(host.substr(colon + 1)));
    host = host.substr(0, colon);
  }
  return api::Client(host, port);
}

int fail(const config::ApiError& e) {
  std::cerr << "Error from server";
  if (!e.reason.empty() && e.code != 0) std::cerr << " (" << e.reason << ")";
  std::cerr << ": " << e.message << "\n";
  for (const auto& cause : e.causes) std::cerr << "  " << cause.message << "\n";
  return 1;
}

namespace {

// kubectl names a resource in messages as "deployment.apps/web" or "service/web".
std::string resource_ref(Kind kind, const std::string& name) {
  const auto& info = config::kind_info(kind);
  std::string group =
      info.api_version == "v1"
          ? ""
          : "." + std::string(info.api_version.substr(0, info.api_version.find('/')));
  return fmt::format("{}{}/{}", info.singular, group, name);
}

std::string item_path(Kind kind, const std::string& ns, const std::string& name) {
  return config::collection_path(kind, ns) + "/" + name;
}

// Keeps what the cluster assigned when the manifest leaves it out, as kubectl apply's merge
// does: a Service's clusterIP and nodePorts, and annotations set by controllers.
void merge_live(json& desired, const json& live) {
  if (desired.value("kind", "") == "Service" && live.contains("spec")) {
    auto& spec = desired["spec"];
    const auto& lspec = live["spec"];
    for (const char* key : {"clusterIP", "clusterIPs"}) {
      if (!spec.contains(key) && lspec.contains(key)) spec[key] = lspec[key];
    }
    if (spec.contains("ports") && lspec.contains("ports")) {
      for (auto& p : spec["ports"]) {
        if (p.contains("nodePort")) continue;
        for (const auto& lp : lspec["ports"]) {
          if (lp.value("port", 0) == p.value("port", 0) &&
              lp.value("protocol", "TCP") == p.value("protocol", "TCP") &&
              lp.contains("nodePort")) {
            p["nodePort"] = lp["nodePort"];
          }
        }
      }
    }
  }
  const auto& lmeta = live["metadata"];
  auto& meta = desired["metadata"];
  if (lmeta.contains("annotations")) {
    json merged = lmeta["annotations"];
    if (meta.contains("annotations")) merged.update(meta["annotations"]);
    meta["annotations"] = merged;
  }
  meta["resourceVersion"] = lmeta.value("resourceVersion", "");
}

std::vector<config::Object> decode_items(Kind kind, const json& list) {
  std::vector<config::Object> out;
  if (!list.contains("items")) return out;
  for (const auto& item : list["items"]) {
    auto obj = config::object_from_json(kind, item);
    if (obj) out.push_back(std::move(*obj));
  }
  return out;
}

std::vector<Kind> parse_kinds(const std::string& text, std::string* bad) {
  std::vector<Kind> kinds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    std::string part =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part == "all") {
      kinds.insert(kinds.end(), {Kind::kPod, Kind::kService, Kind::kDeployment, Kind::kReplicaSet});
    } else if (auto k = config::kind_from_name(part)) {
      kinds.push_back(*k);
    } else {
      *bad = part;
      return {};
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return kinds;
}

std::string list_path(const ClientOptions& c, Kind kind, const std::string& selector) {
  std::string path = config::collection_path(kind, c.all_namespaces ? "" : c.ns);
  if (!selector.empty()) path += "?labelSelector=" + selector;
  return path;
}

}  // namespace

int cmd_apply(const ClientOptions& c, const std::vector<std::string>& files) {
  std::vector<config::Object> objects;
  bool ok = true;
  for (const auto& f : files) {
    auto loaded = config::load_manifest_file(f);
    for (const auto& d : loaded.diagnostics) {
      std::cerr << (d.severity == config::Diagnostic::Severity::kError ? "error: " : "Warning: ")
                << d.to_string() << "\n";
    }
    ok = ok && loaded.ok();
    for (auto& o : loaded.objects) objects.push_back(std::move(o));
  }
  if (!ok) return 1;  // a file with any error changes nothing
  auto client = make_client(c);
  int rc = 0;
  for (const auto& object : objects) {
    const Kind kind = config::kind_of(object);
    const auto& m = config::meta(object);
    const std::string ns = m.namespace_.empty() ? c.ns : m.namespace_;
    json desired = config::to_json(object);
    desired["metadata"]["namespace"] = ns;
    auto live = client.get(item_path(kind, ns, m.name));
    if (!live && live.error().code == 404) {
      auto created = client.post(config::collection_path(kind, ns), desired);
      if (!created) {
        rc = fail(created.error());
        continue;
      }
      std::cout << resource_ref(kind, m.name) << " created\n";
      continue;
    }
    if (!live) return fail(live.error());
    merge_live(desired, *live);
    auto updated = client.put(item_path(kind, ns, m.name), desired);
    if (!updated) {
      rc = fail(updated.error());
      continue;
    }
    const bool same = (*updated)["metadata"].value("resourceVersion", "") ==
                      (*live)["metadata"].value("resourceVersion", "");
    std::cout << resource_ref(kind, m.name) << (same ? " unchanged\n" : " configured\n");
  }
  return rc;
}

int cmd_get(const ClientOptions& c, const std::string& kinds_text,
            const std::vector<std::string>& names, const std::string& output, bool watch,
            const std::string& selector) {
  std::string bad;
  auto kinds = parse_kinds(kinds_text, &bad);
  if (kinds.empty()) {
    std::cerr << "error: the server doesn't have a resource type \"" << bad << "\"\n";
    return 1;
  }
  if (output != "" && output != "wide" && output != "json" && output != "yaml" &&
      output != "name") {
    std::cerr << "error: unable to match a printer suitable for the output format \"" << output
              << "\", allowed formats are: json,name,wide,yaml\n";
    return 1;
  }
  auto client = make_client(c);
  const auto format = output == "wide" ? TableFormat::kWide : TableFormat::kDefault;
  int rc = 0;
  for (size_t ki = 0; ki < kinds.size(); ++ki) {
    const Kind kind = kinds[ki];
    json items = json::array();
    std::string list_version = "0";  // where a watch picks up: after what was printed
    if (names.empty()) {
      auto list = client.get(list_path(c, kind, selector));
      if (!list) return fail(list.error());
      items = (*list)["items"];
      list_version = (*list)["metadata"].value("resourceVersion", "0");
    } else {
      for (const auto& name : names) {
        auto item = client.get(item_path(kind, c.ns, name));
        if (!item) {
          rc = fail(item.error());
          continue;
        }
        if (items.empty()) list_version = (*item)["metadata"].value("resourceVersion", "0");
        items.push_back(*item);
      }
    }
    if (output == "json" || output == "yaml") {
      json doc = items.size() == 1 && !names.empty() ? items[0]
                                                     : json{{"apiVersion", "v1"},
                                                            {"kind", "List"},
                                                            {"items", items},
                                                            {"metadata", json::object()}};
      std::cout << (output == "json" ? doc.dump(4) + "\n" : config::to_yaml(doc));
      continue;
    }
    std::vector<config::Object> objects = decode_items(kind, json{{"items", items}});
    if (output == "name") {
      for (const auto& o : objects) std::cout << resource_ref(kind, config::meta(o).name) << "\n";
      continue;
    }
    if (objects.empty() && !watch) {
      if (names.empty())
        std::cerr << "No resources found in " << (c.all_namespaces ? "any" : c.ns)
                  << " namespace.\n";
      continue;
    }
    if (ki > 0) std::cout << "\n";
    std::cout << print_table(kind, objects, format, std::time(nullptr));
    std::cout.flush();
    if (watch) {
      auto watched =
          client.watch(list_path(c, kind, selector) + (selector.empty() ? "?" : "&") +
                           "watch=true&resourceVersion=" + list_version,
                       [&](const json& event) {
                         auto obj = config::object_from_json(kind, event["object"]);
                         if (!obj) return true;
                         if (!names.empty() && std::find(names.begin(), names.end(),
                                                         config::meta(*obj).name) == names.end())
                           return true;
                         std::cout << print_table(kind, {*obj}, format, std::time(nullptr), false);
                         std::cout.flush();
                         return true;
                       });
      if (!watched) return fail(watched.error());
    }
  }
  return rc;
}

int cmd_describe(const ClientOptions& c, const std::string& kind_text,
                 const std::vector<std::string>& names) {
  auto kind = config::kind_from_name(kind_text);
  if (!kind) {
    std::cerr << "error: the server doesn't have a resource type \"" << kind_text << "\"\n";
    return 1;
  }
  auto client = make_client(c);
  std::vector<config::Object> objects;
  if (names.empty()) {
    auto list = client.get(list_path(c, *kind, ""));
    if (!list) return fail(list.error());
    objects = decode_items(*kind, *list);
  }
  for (const auto& name : names) {
    auto item = client.get(item_path(*kind, c.ns, name));
    if (!item) return fail(item.error());
    auto obj = config::object_from_json(*kind, *item);
    if (!obj) return fail(obj.error());
    objects.push_back(std::move(*obj));
  }
  // The closing Events section, as kubectl: the events whose involvedObject is the object.
  std::vector<config::Event> events;
  if (*kind != Kind::kEvent && !objects.empty()) {
    auto list = client.get(list_path(c, Kind::kEvent, ""));
    if (list) {
      for (auto& o : decode_items(Kind::kEvent, *list)) {
        events.push_back(std::get<config::Event>(std::move(o)));
      }
    }
  }
  // A node's pods (every namespace), for its requests, limits and allocation.
  std::vector<config::Pod> pods;
  if (*kind == Kind::kNode && !objects.empty()) {
    auto list = client.get(config::collection_path(Kind::kPod, ""));
    if (!list) return fail(list.error());
    for (auto& o : decode_items(Kind::kPod, *list)) pods.push_back(std::get<config::Pod>(o));
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i) std::cout << "\n\n";
    const auto now = std::time(nullptr);
    std::cout << describe(objects[i], now);
    if (const auto* node = std::get_if<config::Node>(&objects[i])) {
      std::cout << describe_node_pods(*node, pods, now);
    }
    if (*kind == Kind::kEvent) continue;
    const auto& m = config::meta(objects[i]);
    const std::string kind_name(config::kind_info(*kind).name);
    std::vector<config::Event> mine;
    for (const auto& e : events) {
      const auto& o = e.involved_object;
      if (o.kind == kind_name && o.name == m.name && o.namespace_ == m.namespace_ &&
          (o.uid.empty() || o.uid == m.uid)) {
        mine.push_back(e);
      }
    }
    std::cout << describe_events(std::move(mine), now);
  }
  return 0;
}

int cmd_delete(const ClientOptions& c, const std::vector<std::string>& args,
               const std::vector<std::string>& files, bool wait) {
  std::vector<std::tuple<Kind, std::string, std::string>> targets;  // kind, ns, name
  for (const auto& f : files) {
    auto loaded = config::load_manifest_file(f);
    if (!loaded.ok()) {
      for (const auto& d : loaded.diagnostics) std::cerr << "error: " << d.to_string() << "\n";
      return 1;
    }
    for (const auto& o : loaded.objects) {
      targets.emplace_back(config::kind_of(o), config::meta(o).namespace_, config::meta(o).name);
    }
  }
  // "delete pod a b", "delete pod/a deploy/b"
  std::optional<Kind> current;
  for (const auto& a : args) {
    auto slash = a.find('/');
    if (slash != std::string::npos) {
      auto k = config::kind_from_name(a.substr(0, slash));
      if (!k) {
        std::cerr << "error: the server doesn't have a resource type \"" << a.substr(0, slash)
                  << "\"\n";
        return 1;
      }
      targets.emplace_back(*k, c.ns, a.substr(slash + 1));
    } else if (!current) {
      current = config::kind_from_name(a);
      if (!current) {
        std::cerr << "error: the server doesn't have a resource type \"" << a << "\"\n";
        return 1;
      }
    } else {
      targets.emplace_back(*current, c.ns, a);
    }
  }
  if (targets.empty()) {
    std::cerr << "error: resource(s) were provided, but no name was specified\n";
    return 1;
  }
  auto client = make_client(c);
  int rc = 0;
  for (const auto& [kind, ns, name] : targets) {
    auto r = client.del(item_path(kind, ns, name));
    if (!r) {
      rc = fail(r.error());
      continue;
    }
    std::cout << config::kind_info(kind).singular
              << (config::kind_info(kind).api_version == "v1" ? "" : ".apps") << " \"" << name
              << "\" deleted\n";
    std::cout.flush();
    if (!wait) continue;
    // As kubectl: wait until the object is really gone (a pod: its containers stopped).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      auto g = client.get(item_path(kind, ns, name));
      if (!g && g.error().code == 404) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return rc;
}

int cmd_scale(const ClientOptions& c, const std::vector<std::string>& args, int replicas) {
  std::optional<Kind> kind;
  std::string name;
  if (args.size() == 1 && args[0].find('/') != std::string::npos) {
    kind = config::kind_from_name(args[0].substr(0, args[0].find('/')));
    name = args[0].substr(args[0].find('/') + 1);
  } else if (args.size() == 2) {
    kind = config::kind_from_name(args[0]);
    name = args[1];
  }
  if (!kind || name.empty() || (*kind != Kind::kDeployment && *kind != Kind::kReplicaSet)) {
    std::cerr << "error: scale takes deployment/NAME or replicaset/NAME\n";
    return 1;
  }
  if (replicas < 0) {
    std::cerr << "error: --replicas must be 0 or more\n";
    return 1;
  }
  auto client = make_client(c);
  const std::string path = item_path(*kind, c.ns, name) + "/scale";
  auto current = client.get(path);
  if (!current) return fail(current.error());
  json scale = *current;
  scale["spec"]["replicas"] = replicas;
  auto r = client.put(path, scale);
  if (!r) return fail(r.error());
  std::cout << resource_ref(*kind, name) << " scaled\n";
  return 0;
}

}  // namespace skiff::cli
