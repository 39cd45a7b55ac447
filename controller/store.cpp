#include "controller/store.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/kinds.h"
#include "config/validation.h"
#include "controller/rfc3339.h"
#include "controller/safe_encode.h"
#include "controller/service_allocation.h"
#include "controller/store_persistence.h"

namespace skiff::controller {
namespace {

using config::ObjectMeta;

// The namespace an object of `kind` is stored under: "" for a cluster-scoped kind (Node),
// whatever the caller said; "default" for a namespaced kind when none is given.
std::string scoped_ns(Kind kind, std::string_view ns) {
  if (!config::kind_info(kind).namespaced) return {};
  return ns.empty() ? "default" : std::string(ns);
}

constexpr int kGenerateNameAttempts = 8;  // collisions in 27^5 names are rare; bounded anyway

// "pods" for core kinds, "deployments.apps" for grouped ones: how Kubernetes names a
// resource in its error messages.
std::string qualified_resource(Kind kind) {
  const auto& info = config::kind_info(kind);
  std::string out(info.resource);
  auto slash = info.api_version.find('/');
  if (slash != std::string_view::npos) {
    out += '.';
    out += info.api_version.substr(0, slash);
  }
  return out;
}

std::string described(Kind kind, std::string_view name) {
  return fmt::format("{} \"{}\"", qualified_resource(kind), name);
}

// True when the user-visible desired state (spec, or subsets for Endpoints) differs.
bool spec_differs(const Object& a, const Object& b) {
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const auto& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, config::Endpoints>) {
          return x.subsets != y.subsets;
        } else if constexpr (requires { x.spec; }) {
          return !(x.spec == y.spec);
        } else {
          return false;  // an Event: no spec, no generation
        }
      },
      a);
}

// The stored object with the caller's metadata (the mutable parts) and spec.
Object merge_update(const Object& stored, const Object& incoming) {
  Object next = incoming;
  std::visit(
      [&](auto& n) {
        using T = std::decay_t<decltype(n)>;
        const auto& s = std::get<T>(stored);
        ObjectMeta m = s.metadata;
        m.labels = n.metadata.labels;
        m.annotations = n.metadata.annotations;
        m.owner_references = n.metadata.owner_references;
        // Termination can be started or shortened by an update, never undone: a re-apply of
        // a manifest (which carries no deletion fields) must not revive a terminating pod.
        if (n.metadata.deletion_timestamp) m.deletion_timestamp = n.metadata.deletion_timestamp;
        if (n.metadata.deletion_grace_period_seconds) {
          m.deletion_grace_period_seconds = n.metadata.deletion_grace_period_seconds;
        }
        n.metadata = std::move(m);
        if constexpr (std::is_same_v<T, config::Service>) {
          preserve_service_allocations(s.spec, n.spec);
        }
        if constexpr (requires { n.status; }) n.status = s.status;
      },
      next);
  return next;
}

}  // namespace

Store::Store() : Store(rfc3339_now) {}

Store::Store(Clock clock) : clock_(std::move(clock)) {}

void Store::restore(std::vector<Object> objects, uint64_t resource_version) {
  for (auto& object : objects) {
    const Kind kind = config::kind_of(object);
    const auto& m = config::meta(object);
    resource_version = std::max(resource_version, m.resource_version);
    Key key{scoped_ns(kind, m.namespace_), m.name};
    objects_[static_cast<size_t>(kind)].emplace(std::move(key),
                                                std::make_shared<const Object>(std::move(object)));
  }
  resource_version_ = std::max(resource_version_, resource_version);
}

Result<ObjectPtr> Store::apply(Object object) {
  const auto& m = config::meta(object);
  auto stored = get(config::kind_of(object), m.namespace_, m.name);
  if (!stored) return create(std::move(object));
  // As kubectl apply's merge: annotations the manifest leaves out stay (controllers keep
  // theirs there, e.g. deployment.kubernetes.io/revision); the rest is the manifest's.
  auto& next = config::meta(object);
  auto annotations = config::meta(*stored).annotations;
  for (auto& [k, v] : next.annotations) annotations[k] = v;
  next.annotations = std::move(annotations);
  next.resource_version = 0;
  return update(std::move(object));
}

Result<ObjectPtr> Store::create(Object object) {
  Kind kind = config::kind_of(object);
  auto& m = config::meta(object);
  m.namespace_ = scoped_ns(kind, m.namespace_);
  auto& objects = objects_[static_cast<size_t>(kind)];
  if (m.name.empty()) {
    if (m.generate_name.empty()) {
      return ApiError::invalid(
          fmt::format("{} is invalid: metadata.name: Required value: name or generateName is "
                      "required",
                      qualified_resource(kind)));
    }
    for (int i = 0; i < kGenerateNameAttempts && m.name.empty(); ++i) {
      std::string candidate = m.generate_name + random_safe_string(5);
      if (!objects.count({m.namespace_, candidate})) m.name = std::move(candidate);
    }
    if (m.name.empty()) {
      return ApiError::already_exists(described(kind, m.generate_name + "*"));
    }
  }
  Key key{m.namespace_, m.name};
  if (objects.count(key)) return ApiError::already_exists(described(kind, m.name));
  m.uid = random_uuid();
  m.generation = 1;
  m.creation_timestamp = clock_();
  m.deletion_timestamp.reset();
  m.deletion_grace_period_seconds.reset();
  return commit(kind, std::move(key), std::move(object), nullptr);
}

Result<ObjectPtr> Store::stored_for(const Object& object) const {
  const Kind kind = config::kind_of(object);
  const auto& m = config::meta(object);
  if (auto stored = get(kind, m.namespace_, m.name)) {
    return stored;
  }
  return ApiError::not_found(described(kind, m.name));
}

Result<ObjectPtr> Store::update(Object object) {
  auto found = stored_for(object);
  if (!found) return found;
  const ObjectPtr stored = *found;
  const Kind kind = config::kind_of(object);
  const auto& m = config::meta(object);
  Key key{config::meta(*stored).namespace_, m.name};
  if (m.resource_version != 0 && m.resource_version != config::meta(*stored).resource_version) {
    return ApiError::conflict(fmt::format(
        "Operation cannot be fulfilled on {}: the object has been modified; please apply your "
        "changes to the latest version and try again",
        described(kind, m.name)));
  }
  Object next = merge_update(*stored, object);
  if (next == *stored) return stored;
  if (auto errors = config::validate_update(*stored, next); !errors.empty()) {
    // As the API server: `ConfigMap "x" is invalid: data: Forbidden: ...`.
    std::vector<config::StatusCause> causes;
    std::string text;
    for (const auto& d : errors) {
      causes.push_back({d.field, "FieldValueInvalid", d.to_string()});
      text += (text.empty() ? "" : ", ") + d.to_string();
    }
    return ApiError::invalid(
        fmt::format("{} \"{}\" is invalid: {}", config::kind_info(kind).name, m.name, text),
        std::move(causes));
  }
  if (kind != Kind::kEndpoints && spec_differs(next, *stored)) config::meta(next).generation++;
  return commit(kind, std::move(key), std::move(next), stored);
}

Result<ObjectPtr> Store::update_status(const Object& object) {
  auto found = stored_for(object);
  if (!found) return found;
  const ObjectPtr stored = *found;
  const Kind kind = config::kind_of(object);
  Key key{config::meta(*stored).namespace_, config::meta(*stored).name};
  Object next = *stored;
  std::visit(
      [&](auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (requires { n.status; }) n.status = std::get<T>(object).status;
      },
      next);
  if (next == *stored) return stored;
  return commit(kind, std::move(key), std::move(next), stored);
}

Result<ObjectPtr> Store::remove(Kind kind, std::string_view ns_in, std::string_view name,
                                std::optional<int64_t> grace_seconds) {
  std::string ns = scoped_ns(kind, ns_in);
  Key key{ns, std::string(name)};
  auto& objects = objects_[static_cast<size_t>(kind)];
  auto it = objects.find(key);
  if (it == objects.end()) return ApiError::not_found(described(kind, name));
  ObjectPtr stored = it->second;

  if (const auto* pod = as<config::Pod>(stored)) {
    int64_t grace = grace_seconds.value_or(pod->spec.termination_grace_period_seconds);
    if (grace < 0) grace = 0;
    if (!pod->spec.node_name.empty() && grace > 0) {
      const auto& pm = pod->metadata;
      if (pm.deletion_timestamp) {
        // Already terminating: a shorter grace period shortens it; anything else is a no-op.
        if (pm.deletion_grace_period_seconds && *pm.deletion_grace_period_seconds <= grace) {
          return stored;
        }
        config::Pod next = *pod;
        next.metadata.deletion_grace_period_seconds = grace;
        return commit(kind, std::move(key), Object(std::move(next)), stored);
      }
      config::Pod next = *pod;
      next.metadata.deletion_timestamp = clock_();
      next.metadata.deletion_grace_period_seconds = grace;
      return commit(kind, std::move(key), Object(std::move(next)), stored);
    }
  }

  const uint64_t version = resource_version_ + 1;
  if (persistence_) {
    if (auto e = persistence_->erase(kind, ns, name, version)) {
      return ApiError{500, "InternalError", "deleting " + described(kind, name) + ": " + *e, {}};
    }
  }
  objects.erase(it);
  Object last = *stored;
  config::meta(last).resource_version = resource_version_ = version;
  auto last_ptr = std::make_shared<const Object>(std::move(last));
  notify(kind, WatchEvent{WatchEvent::Type::kDeleted, last_ptr, stored});
  return last_ptr;
}

ObjectPtr Store::get(Kind kind, std::string_view ns, std::string_view name) const {
  const auto& objects = objects_[static_cast<size_t>(kind)];
  auto it = objects.find(Key{scoped_ns(kind, ns), std::string(name)});
  return it == objects.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list(Kind kind, std::string_view ns) const {
  const auto& objects = objects_[static_cast<size_t>(kind)];
  std::vector<ObjectPtr> out;
  if (ns.empty() || !config::kind_info(kind).namespaced) {
    out.reserve(objects.size());
    for (const auto& [key, obj] : objects) out.push_back(obj);
    return out;
  }
  std::string nss(ns);
  for (auto it = objects.lower_bound(Key{nss, ""}); it != objects.end() && it->first.first == nss;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

size_t Store::count(Kind kind) const { return objects_[static_cast<size_t>(kind)].size(); }

uint64_t Store::watch(Kind kind, Watcher watcher) {
  uint64_t id = next_watch_id_++;
  watchers_.emplace(id, std::pair(kind, std::move(watcher)));
  return id;
}

void Store::unwatch(uint64_t id) { watchers_.erase(id); }

Result<ObjectPtr> Store::commit(Kind kind, Key key, Object next, ObjectPtr previous) {
  const uint64_t version = resource_version_ + 1;
  config::meta(next).resource_version = version;
  if (persistence_) {
    if (auto e = persistence_->save(next)) {
      return ApiError{500,
                      "InternalError",
                      "storing " + described(kind, config::meta(next).name) + ": " + *e,
                      {}};
    }
  }
  resource_version_ = version;
  auto ptr = std::make_shared<const Object>(std::move(next));
  objects_[static_cast<size_t>(kind)][std::move(key)] = ptr;
  notify(kind, WatchEvent{previous ? WatchEvent::Type::kModified : WatchEvent::Type::kAdded, ptr,
                          std::move(previous)});
  return ptr;
}

void Store::notify(Kind kind, const WatchEvent& event) {
  // Copied first: a watcher may unwatch (or watch) from inside its callback.
  std::vector<Watcher> targets;
  for (const auto& [id, entry] : watchers_) {
    if (entry.first == kind) targets.push_back(entry.second);
  }
  for (const auto& w : targets) w(event);
}

}  // namespace skiff::controller
