#include "cli/printers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "cli/node_printer.h"
#include "config/labels.h"
#include "controller/env_resolver.h"

namespace skiff::cli {
namespace {

using Row = std::vector<std::string>;

std::string render(const std::vector<Row>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    out += line + '\n';
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string int_or_string(const config::IntOrString& v) {
  return v.is_int ? std::to_string(v.int_value) : v.str_value;
}

// The columns `skiff get` prints: priority 0, and with -o wide the priority-1 ones skiff has.
std::vector<size_t> shown_columns(config::Kind kind, TableFormat format) {
  std::vector<size_t> shown;
  const auto& columns = api::table_columns(kind);
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    if (c.priority == 0 || (format == TableFormat::kWide && c.in_skiff_get)) shown.push_back(i);
  }
  return shown;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// ---- describe ----

class Text {
 public:
  void field(const std::string& name, const std::string& value, int indent = 0) {
    std::string key = std::string(indent, ' ') + name + ":";
    out_ << key << std::string(key.size() < 22 ? 22 - key.size() : 1, ' ') << value << '\n';
  }
  void line(const std::string& s) { out_ << s << '\n'; }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

void describe_meta(Text& t, const config::ObjectMeta& m) {
  t.field("Name", m.name);
  t.field("Namespace", m.namespace_);
  t.field("Labels", or_none(config::labels_to_string(m.labels)));
  t.field("Annotations", or_none(config::labels_to_string(m.annotations)));
  if (!m.creation_timestamp.empty()) t.field("CreationTimestamp", m.creation_timestamp);
  for (const auto& o : m.owner_references) {
    if (o.controller) t.field("Controlled By", o.kind + "/" + o.name);
  }
  if (m.deletion_timestamp) t.field("Deletion Timestamp", *m.deletion_timestamp);
}

std::string state_text(const config::ContainerState& s) {
  if (s.running) return "Running";
  if (s.waiting) return "Waiting";
  if (s.terminated) return "Terminated";
  return "<none>";
}

void describe_state(Text& t, const std::string& title, const config::ContainerState& s) {
  t.field(title, state_text(s), 4);
  if (s.running) t.field("Started", s.running->started_at, 6);
  if (s.waiting) {
    t.field("Reason", s.waiting->reason, 6);
    if (!s.waiting->message.empty()) t.field("Message", s.waiting->message, 6);
  }
  if (s.terminated) {
    t.field("Reason", s.terminated->reason, 6);
    t.field("Exit Code", std::to_string(s.terminated->exit_code), 6);
    if (s.terminated->signal) t.field("Signal", std::to_string(s.terminated->signal), 6);
    t.field("Started", s.terminated->started_at, 6);
    t.field("Finished", s.terminated->finished_at, 6);
  }
}

// A container's env as kubectl describes it: literal values, and for values from a ConfigMap,
// a Secret or a field only where they come from (a Secret's value is never printed).
void describe_env(Text& t, const config::Container& c) {
  auto optional = [](bool o) { return std::string(o ? "true" : "false"); };
  if (!c.env_from.empty()) {
    t.line("    Environment Variables from:");
    for (const auto& from : c.env_from) {
      const bool cm = from.config_map_ref.has_value();
      const config::EnvFromRef* ref =
          cm ? &*from.config_map_ref : (from.secret_ref ? &*from.secret_ref : nullptr);
      if (!ref) continue;
      std::string what = cm ? "ConfigMap" : "Secret";
      if (!from.prefix.empty()) what += " with prefix '" + from.prefix + "'";
      t.line("      " + ref->name + "  " + what + "  Optional: " + optional(ref->optional));
    }
  }
  if (c.env.empty()) {
    t.field("Environment", "<none>", 4);
    return;
  }
  t.line("    Environment:");
  for (const auto& e : c.env) {
    std::string value = e.value;
    if (e.value_from) {
      const auto& src = *e.value_from;
      if (src.config_map_key_ref) {
        value = "<set to the key '" + src.config_map_key_ref->key + "' of config map '" +
                src.config_map_key_ref->name +
                "'>  Optional: " + optional(src.config_map_key_ref->optional);
      } else if (src.secret_key_ref) {
        value = "<set to the key '" + src.secret_key_ref->key + "' in secret '" +
                src.secret_key_ref->name +
                "'>  Optional: " + optional(src.secret_key_ref->optional);
      } else if (src.field_ref) {
        value = " (" + src.field_ref->api_version + ":" + src.field_ref->field_path + ")";
      } else if (const auto& ref = src.resource_field_ref) {
        // As kubectl describes it: the described container's own value (kubectl ignores
        // containerName here), an unset limit shown as the node's.
        config::Pod own;
        own.spec.containers = {c};
        auto v = controller::resource_field_value(
            own, c, config::ResourceFieldSelector{"", ref->resource, ref->divisor}, {});
        std::string shown = v ? *v : "<error>";
        if (shown == "0" && (ref->resource == "limits.cpu" || ref->resource == "limits.memory")) {
          shown = "node allocatable";
        }
        value = shown + " (" + ref->resource + ")";
      }
    }
    t.field(e.name, value, 6);
  }
}

// What the spec says of a container: image, ports, command and args.
void describe_container_spec(Text& t, const config::Container& c) {
  t.field("Image", c.image, 4);
  std::vector<std::string> ports;
  for (const auto& p : c.ports) ports.push_back(fmt::format("{}/{}", p.container_port, p.protocol));
  t.field("Port", ports.empty() ? "<none>" : join(ports, ", "), 4);
  if (!c.command.empty()) t.field("Command", join(c.command, " "), 4);
  if (!c.args.empty()) t.field("Args", join(c.args, " "), 4);
  for (const auto& [title, amounts] :
       {std::pair{"Limits", &c.resources.limits}, std::pair{"Requests", &c.resources.requests}}) {
    if (amounts->empty()) continue;
    t.line(std::string("    ") + title + ":");
    for (const auto& [name, quantity] : *amounts) t.field(name, quantity, 6);
  }
}

void describe_pod_template(Text& t, const config::PodTemplateSpec& tpl) {
  t.line("Pod Template:");
  t.field("Labels", or_none(config::labels_to_string(tpl.metadata.labels)), 2);
  if (!tpl.metadata.annotations.empty()) {
    t.field("Annotations", config::labels_to_string(tpl.metadata.annotations), 2);
  }
  t.line("  Containers:");
  for (const auto& c : tpl.spec.containers) {
    t.line("   " + c.name + ":");
    describe_container_spec(t, c);
    describe_env(t, c);
  }
}

void describe_conditions(Text& t, const std::vector<config::Condition>& conditions) {
  if (conditions.empty()) return;
  t.line("Conditions:");
  std::vector<Row> rows{{"  Type", "Status", "Reason"}};
  for (const auto& c : conditions) rows.push_back({"  " + c.type, c.status, or_none(c.reason)});
  std::istringstream lines(render(rows));
  for (std::string l; std::getline(lines, l);) t.line(l);
}

std::string describe_pod(const config::Pod& pod, std::time_t) {
  Text t;
  describe_meta(t, pod.metadata);
  t.field("Node", or_none(pod.spec.node_name) +
                      (pod.status.host_ip.empty() ? "" : "/" + pod.status.host_ip));
  if (!pod.status.start_time.empty()) t.field("Start Time", pod.status.start_time);
  t.field("Status", pod_status_reason(pod));
  t.field("IP", or_none(pod.status.pod_ip));
  t.line("Containers:");
  for (const auto& c : pod.spec.containers) {
    t.line("  " + c.name + ":");
    const config::ContainerStatus* st = nullptr;
    for (const auto& cs : pod.status.container_statuses) {
      if (cs.name == c.name) st = &cs;
    }
    if (st && !st->container_id.empty()) t.field("Container ID", st->container_id, 4);
    describe_container_spec(t, c);
    if (st) {
      describe_state(t, "State", st->state);
      if (st->last_state.terminated || st->last_state.waiting || st->last_state.running) {
        describe_state(t, "Last State", st->last_state);
      }
      t.field("Ready", st->ready ? "True" : "False", 4);
      t.field("Restart Count", std::to_string(st->restart_count), 4);
    }
    describe_env(t, c);
  }
  describe_conditions(t, pod.status.conditions);
  return t.str();
}

std::string describe_service(const config::Service& svc) {
  Text t;
  describe_meta(t, svc.metadata);
  t.field("Selector", or_none(config::labels_to_string(svc.spec.selector)));
  t.field("Type", svc.spec.type);
  t.field("IP", or_none(svc.spec.cluster_ip));
  if (!svc.spec.external_ips.empty()) t.field("External IPs", join(svc.spec.external_ips, ","));
  for (const auto& in : svc.status.load_balancer_ingress) t.field("LoadBalancer Ingress", in.ip);
  for (const auto& p : svc.spec.ports) {
    std::string name = p.name.empty() ? "<unset>" : p.name;
    t.field("Port", fmt::format("{}  {}/{}", name, p.port, p.protocol));
    t.field("TargetPort", fmt::format("{}/{}", int_or_string(p.target_port), p.protocol));
    if (p.node_port) t.field("NodePort", fmt::format("{}  {}/{}", name, p.node_port, p.protocol));
  }
  t.field("Session Affinity", svc.spec.session_affinity);
  return t.str();
}

std::string describe_endpoints(const config::Endpoints& ep) {
  Text t;
  describe_meta(t, ep.metadata);
  t.line("Subsets:");
  for (const auto& s : ep.subsets) {
    std::vector<std::string> ready, not_ready;
    for (const auto& a : s.addresses) ready.push_back(a.ip);
    for (const auto& a : s.not_ready_addresses) not_ready.push_back(a.ip);
    t.field("Addresses", or_none(join(ready, ",")), 2);
    t.field("NotReadyAddresses", or_none(join(not_ready, ",")), 2);
    t.line("  Ports:");
    for (const auto& p : s.ports) {
      t.line(
          fmt::format("    {}  {}  {}", p.name.empty() ? "<unset>" : p.name, p.port, p.protocol));
    }
  }
  return t.str();
}

std::string describe_deployment(const config::Deployment& d) {
  Text t;
  describe_meta(t, d.metadata);
  t.field("Selector", config::selector_to_string(d.spec.selector));
  t.field("Replicas",
          fmt::format("{} desired | {} updated | {} total | {} available | {} unavailable",
                      d.spec.replicas, d.status.updated_replicas, d.status.replicas,
                      d.status.available_replicas, d.status.unavailable_replicas));
  t.field("StrategyType", d.spec.strategy.type);
  t.field("MinReadySeconds", std::to_string(d.spec.min_ready_seconds));
  describe_pod_template(t, d.spec.template_);
  describe_conditions(t, d.status.conditions);
  return t.str();
}

std::string describe_event(const config::Event& e, std::time_t now) {
  Text t;
  describe_meta(t, e.metadata);
  t.field(
      "Involved Object",
      api::event_object(e) +
          (e.involved_object.field_path.empty() ? "" : " (" + e.involved_object.field_path + ")"));
  t.field("Type", e.type);
  t.field("Reason", e.reason);
  t.field("Message", e.message);
  t.field("Source", or_none(e.source.component));
  t.field("Count", std::to_string(e.count));
  t.field("First Seen", e.first_timestamp);
  t.field("Last Seen", e.last_timestamp + " (" + age(e.last_timestamp, now) + " ago)");
  return t.str();
}

// Keys with their values, binaryData keys with their sizes, as kubectl describe configmap.
std::string describe_config_map(const config::ConfigMap& cm) {
  Text t;
  describe_meta(t, cm.metadata);
  t.line("");
  t.line("Data");
  t.line("====");
  for (const auto& [key, value] : cm.data) {
    t.line(key + ":");
    t.line("----");
    t.line(value);
    t.line("");
  }
  t.line("BinaryData");
  t.line("====");
  for (const auto& [key, value] : cm.binary_data) {
    t.line(fmt::format("{}: {} bytes", key, value.size()));
  }
  t.line("");
  return t.str();
}

// Keys and sizes only, never values: kubectl describe secret.
std::string describe_secret(const config::Secret& s) {
  Text t;
  describe_meta(t, s.metadata);
  t.line("");
  t.line("Type:  " + s.type);
  t.line("");
  t.line("Data");
  t.line("====");
  std::vector<Row> rows;
  for (const auto& [key, value] : s.data) {
    rows.push_back({key + ":", fmt::format("{} bytes", value.size())});
  }
  if (!rows.empty()) {
    // kubectl's tab writer: the sizes aligned, two spaces after the longest key.
    size_t width = 0;
    for (const auto& r : rows) width = std::max(width, r[0].size());
    for (const auto& r : rows) t.line(r[0] + std::string(width - r[0].size() + 2, ' ') + r[1]);
  }
  return t.str();
}

std::string describe_replicaset(const config::ReplicaSet& rs) {
  Text t;
  describe_meta(t, rs.metadata);
  t.field("Selector", config::selector_to_string(rs.spec.selector));
  t.field("Replicas", fmt::format("{} current / {} desired", rs.status.replicas, rs.spec.replicas));
  t.field("Pods Status", fmt::format("{} Ready", rs.status.ready_replicas));
  describe_pod_template(t, rs.spec.template_);
  return t.str();
}

}  // namespace

std::string print_table(config::Kind kind, const std::vector<config::Object>& objects,
                        TableFormat format, std::time_t now, bool with_header) {
  const auto shown = shown_columns(kind, format);
  const auto& columns = api::table_columns(kind);
  std::vector<Row> rows;
  if (with_header) {
    Row head;
    for (size_t i : shown) head.push_back(upper(columns[i].name));
    rows.push_back(std::move(head));
  }
  const api::RowOptions options{.all_endpoints = format == TableFormat::kWide};
  std::vector<const config::Object*> ordered;
  for (const auto& o : objects) ordered.push_back(&o);
  if (kind == config::Kind::kEvent) {
    // Oldest first, as `kubectl events` and describe order them.
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
      const auto* x = std::get_if<config::Event>(a);
      const auto* y = std::get_if<config::Event>(b);
      if (!x || !y) return false;
      if (x->last_timestamp != y->last_timestamp) return x->last_timestamp < y->last_timestamp;
      return x->metadata.resource_version < y->metadata.resource_version;  // write order
    });
  }
  for (const auto* op : ordered) {
    const api::TableRow cells = api::table_row(*op, now, options);
    Row row;
    for (size_t i : shown) row.push_back(i < cells.size() ? cells[i].text : std::string());
    rows.push_back(std::move(row));
  }
  return render(rows);
}

std::string describe(const config::Object& object, std::time_t now) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, config::Pod>) return describe_pod(x, now);
        if constexpr (std::is_same_v<T, config::Service>) return describe_service(x);
        if constexpr (std::is_same_v<T, config::Endpoints>) return describe_endpoints(x);
        if constexpr (std::is_same_v<T, config::Deployment>) return describe_deployment(x);
        if constexpr (std::is_same_v<T, config::ReplicaSet>) return describe_replicaset(x);
        if constexpr (std::is_same_v<T, config::Event>) return describe_event(x, now);
        if constexpr (std::is_same_v<T, config::ConfigMap>) return describe_config_map(x);
        if constexpr (std::is_same_v<T, config::Secret>) return describe_secret(x);
        if constexpr (std::is_same_v<T, config::Node>) return describe_node(x);
      },
      object);
}

std::string render_rows(const std::vector<std::vector<std::string>>& rows) { return render(rows); }

std::string describe_pod_template(const config::PodTemplateSpec& tpl) {
  Text t;
  describe_pod_template(t, tpl);
  return t.str();
}

std::string describe_events(std::vector<config::Event> events, std::time_t now) {
  if (events.empty()) return "Events:              <none>\n";
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    if (a.last_timestamp != b.last_timestamp) return a.last_timestamp < b.last_timestamp;
    return a.metadata.resource_version < b.metadata.resource_version;  // write order
  });
  std::vector<Row> rows{{"  Type", "Reason", "Age", "From", "Message"},
                        {"  ----", "------", "----", "----", "-------"}};
  for (const auto& e : events) {
    std::string message = e.message;
    while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
      message.pop_back();
    }
    rows.push_back(
        {"  " + e.type, e.reason, api::event_interval(e, now, false), e.source.component, message});
  }
  return "Events:\n" + render(rows);
}

}  // namespace skiff::cli
