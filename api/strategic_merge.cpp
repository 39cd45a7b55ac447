#include "api/strategic_merge.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace skiff::api {
namespace {

using config::ApiError;
using nlohmann::json;
using Path = std::vector<std::string>;

constexpr std::string_view kPatch = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromList = "$deleteFromPrimitiveList/";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";

// Thrown inside the merge only, turned into a BadRequest at the boundary.
struct PatchError {
  std::string message;
};

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

std::string directive_of(const json& map) {
  auto d = map.find(kPatch);
  if (d == map.end()) return {};
  if (!d->is_string()) throw PatchError{"$patch: expected a string, got " + d->dump()};
  const auto& value = d->get_ref<const std::string&>();
  if (value != "delete" && value != "replace" && value != "merge") {
    // apimachinery: mergepatch.ErrBadPatchType
    throw PatchError{"unknown patch type: " + value + " in map: " + map.dump()};
  }
  return value;
}

// What identifies an item of a merge list: its merge key's value, or the value itself for a
// list of primitives. null when a map lacks the key.
json identity(const json& item, const std::string& key) {
  if (key.empty()) return item;
  if (!item.is_object()) return nullptr;
  auto it = item.find(key);
  return it == item.end() ? json(nullptr) : *it;
}

std::optional<json> merge_map(json original, const json& patch, Path& path);

// Lookups by value: a patch may carry tens of thousands of items (the API takes 8 MiB bodies),
// so every "is it there" is a hash lookup, never a scan. dump() is canonical: nlohmann keeps
// object members sorted.
std::string fingerprint(const json& value) { return value.dump(); }

json merge_list(json base, const json& patch, const ListStrategy& strategy, Path& path) {
  // A {"$patch": "replace"} item makes the other items the whole list.
  for (const auto& p : patch) {
    if (p.is_object() && directive_of(p) == "replace") {
      json out = json::array();
      for (const auto& q : patch) {
        if (q.is_object() && q.contains(kPatch)) continue;
        if (q.is_object()) {
          if (auto r = merge_map(json::object(), q, path)) out.push_back(std::move(*r));
        } else {
          out.push_back(q);
        }
      }
      return out;
    }
  }
  std::unordered_map<std::string, size_t> index;  // identity -> position in base
  for (size_t i = 0; i < base.size(); ++i) {
    index.emplace(fingerprint(identity(base[i], strategy.key)), i);
  }
  if (strategy.key.empty()) {  // a set of primitives
    for (const auto& p : patch) {
      if (p.is_object()) throw PatchError{"unexpected map in a list of primitives: " + p.dump()};
      if (index.emplace(fingerprint(p), base.size()).second) base.push_back(p);
    }
    return base;
  }
  std::vector<bool> removed(base.size(), false);
  for (const auto& p : patch) {
    if (!p.is_object()) {
      throw PatchError{"expected a map in the list merged by " + strategy.key + ", got " +
                       p.dump()};
    }
    const json id = identity(p, strategy.key);
    if (id.is_null()) {
      // apimachinery: mergepatch.ErrNoMergeKey
      throw PatchError{"map: " + p.dump() +
                       " does not contain declared merge key: " + strategy.key};
    }
    const std::string key = fingerprint(id);
    auto found = index.find(key);
    if (directive_of(p) == "delete") {
      if (found != index.end()) {
        removed[found->second] = true;
        index.erase(found);
      }
      continue;
    }
    if (found != index.end()) {
      auto merged = merge_map(base[found->second], p, path);
      if (merged) {
        base[found->second] = std::move(*merged);
      } else {
        removed[found->second] = true;
        index.erase(found);
      }
    } else if (auto added = merge_map(json::object(), p, path)) {
      index.emplace(key, base.size());
      base.push_back(std::move(*added));
      removed.push_back(false);
    }
  }
  json out = json::array();
  for (size_t i = 0; i < base.size(); ++i) {
    if (!removed[i]) out.push_back(std::move(base[i]));
  }
  return out;
}

// normalizeElementOrder + mergeSortedSlice: the items named by `order` in that order, merged
// with the other items (kept in their current order) by their positions in `server`.
json reorder(const json& merged, const json& order, const json& server, const std::string& key) {
  std::unordered_map<std::string, std::ptrdiff_t> wanted;
  for (const auto& o : order) {
    json id = identity(o, key);
    if (id.is_null()) {
      throw PatchError{"$setElementOrder: " + o.dump() +
                       (key.empty() ? " is not a primitive" : " lacks the merge key " + key)};
    }
    wanted.emplace(fingerprint(id), static_cast<std::ptrdiff_t>(wanted.size()));
  }
  std::unordered_map<std::string, std::ptrdiff_t> server_rank;
  if (server.is_array()) {
    for (const auto& s : server) {
      server_rank.emplace(fingerprint(identity(s, key)),
                          static_cast<std::ptrdiff_t>(server_rank.size()));
    }
  }
  auto rank = [](const std::unordered_map<std::string, std::ptrdiff_t>& ranks, const json& item,
                 const std::string& k) -> std::ptrdiff_t {
    auto it = ranks.find(fingerprint(identity(item, k)));
    return it == ranks.end() ? -1 : it->second;
  };
  std::vector<json> left;                              // not named by the order: where they are
  std::vector<std::pair<std::ptrdiff_t, json>> right;  // named by the order: sorted by it
  for (const auto& item : merged) {
    const auto r = rank(wanted, item, key);
    if (r >= 0) {
      right.emplace_back(r, item);
    } else {
      left.push_back(item);
    }
  }
  std::stable_sort(right.begin(), right.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json out = json::array();
  size_t i = 0;
  size_t j = 0;
  while (i < left.size() || j < right.size()) {
    if (j >= right.size()) {
      out.push_back(left[i++]);
    } else if (i >= left.size()) {
      out.push_back(right[j++].second);
    } else {
      const auto li = rank(server_rank, left[i], key);
      const auto ri = rank(server_rank, right[j].second, key);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(left[i++]);
      } else {
        out.push_back(right[j++].second);
      }
    }
  }
  return out;
}

// nullopt: the patch deletes this map ($patch: delete).
std::optional<json> merge_map(json original, const json& patch, Path& path) {
  if (!original.is_object()) original = json::object();
  const std::string directive = directive_of(patch);
  if (directive == "delete") return std::nullopt;
  if (directive == "replace") {
    json rest = patch;
    rest.erase(std::string(kPatch));
    return merge_map(json::object(), rest, path);
  }
  if (auto retain = patch.find(kRetainKeys); retain != patch.end()) {
    if (!retain->is_array() ||
        !std::all_of(retain->begin(), retain->end(), [](const json& k) { return k.is_string(); })) {
      throw PatchError{"$retainKeys: expected a list of strings, got " + retain->dump()};
    }
    std::unordered_set<std::string> keep;
    for (const auto& k : *retain) keep.insert(k.get<std::string>());
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (starts_with(it.key(), "$") || it.value().is_null()) continue;
      if (!keep.count(it.key())) {
        throw PatchError{"$retainKeys: the patch sets " + it.key() + " but does not retain it"};
      }
    }
    for (auto it = original.begin(); it != original.end();) {
      if (!keep.count(it.key())) {
        it = original.erase(it);
      } else {
        ++it;
      }
    }
  }
  // $setElementOrder/<field> and the field's list as the server had it (the order's tiebreak).
  std::map<std::string, std::pair<const json*, json>> orders;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!starts_with(it.key(), kSetElementOrder)) continue;
    if (!it.value().is_array()) {
      throw PatchError{it.key() + ": expected a list, got " + it.value().dump()};
    }
    const std::string field = it.key().substr(kSetElementOrder.size());
    auto server = original.find(field);
    orders[field] = {&it.value(), server == original.end() ? json::array() : *server};
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (k == kPatch || k == kRetainKeys) continue;
    if (starts_with(k, kDeleteFromList)) {
      const std::string field = k.substr(kDeleteFromList.size());
      if (!v.is_array()) throw PatchError{k + ": expected a list, got " + v.dump()};
      if (auto list = original.find(field); list != original.end() && list->is_array()) {
        std::unordered_set<std::string> drop;
        for (const auto& item : v) drop.insert(fingerprint(item));
        json kept = json::array();
        for (const auto& item : *list) {
          if (!drop.count(fingerprint(item))) kept.push_back(item);
        }
        *list = std::move(kept);
      }
      continue;
    }
    if (starts_with(k, kSetElementOrder)) continue;  // after the merge, below
    if (starts_with(k, "$")) throw PatchError{"unknown patch directive " + k};
    if (v.is_null()) {
      original.erase(k);
      continue;
    }
    path.push_back(k);
    auto current = original.find(k);
    if (v.is_object()) {
      json base =
          current != original.end() && current->is_object() ? std::move(*current) : json::object();
      if (auto merged = merge_map(std::move(base), v, path)) {
        original[k] = std::move(*merged);
      } else {
        original.erase(k);
      }
    } else if (v.is_array()) {
      const ListStrategy strategy = list_strategy(path);
      if (strategy.merge) {
        json base =
            current != original.end() && current->is_array() ? std::move(*current) : json::array();
        original[k] = merge_list(std::move(base), v, strategy, path);
      } else {
        // An atomic list: the patch's list, with any directives in its maps resolved.
        json plain = json::array();
        for (const auto& item : v) {
          if (item.is_object()) {
            if (item.contains(kPatch)) continue;
            if (auto r = merge_map(json::object(), item, path)) plain.push_back(std::move(*r));
          } else {
            plain.push_back(item);
          }
        }
        original[k] = std::move(plain);
      }
    } else {
      original[k] = v;
    }
    path.pop_back();
  }
  for (const auto& [field, order] : orders) {
    auto list = original.find(field);
    if (list == original.end() || !list->is_array()) continue;
    path.push_back(field);
    const ListStrategy strategy = list_strategy(path);
    path.pop_back();
    if (!strategy.merge) continue;  // an atomic list is in the patch's order already
    *list = reorder(*list, *order.first, order.second, strategy.key);
  }
  return original;
}

}  // namespace

ListStrategy list_strategy(const std::vector<std::string>& path) {
  if (path.empty()) return {};
  const std::string& field = path.back();
  const std::string parent = path.size() >= 2 ? path[path.size() - 2] : std::string();
  const bool in_container =
      parent == "containers" || parent == "initContainers" || parent == "ephemeralContainers";
  // k8s.io/api/core/v1/types.go patchMergeKey tags.
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
      field == "volumes" || field == "imagePullSecrets" || (field == "env" && in_container)) {
    return {true, "name"};
  }
  if (field == "ports" && in_container) return {true, "containerPort"};
  if (field == "ports" && path.size() == 2 && parent == "spec") return {true, "port"};  // Service
  if (field == "volumeMounts" && in_container) return {true, "mountPath"};
  if (field == "volumeDevices" && in_container) return {true, "devicePath"};
  if (field == "conditions") return {true, "type"};
  if (field == "hostAliases") return {true, "ip"};
  if (parent == "metadata" && field == "ownerReferences") return {true, "uid"};
  if (parent == "metadata" && field == "finalizers") return {true, ""};
  return {};
}

config::Result<json> strategic_merge(const json& original, const json& patch) {
  if (!patch.is_object()) {
    return ApiError::bad_request("a strategic merge patch must be a JSON object, got " +
                                 std::string(patch.type_name()));
  }
  try {
    Path path;
    auto merged = merge_map(original, patch, path);
    if (!merged) return ApiError::bad_request("$patch: delete cannot delete the whole object");
    return std::move(*merged);
  } catch (const PatchError& e) {
    return ApiError::bad_request(e.message);
  }
}

}  // namespace skiff::api
