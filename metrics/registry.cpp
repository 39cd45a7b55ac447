#include "metrics/registry.h"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <string_view>

#include "metrics/names.h"

namespace skiff::metrics {
namespace {

constexpr std::array<std::string_view, 3> kHistogramSuffixes = {"_bucket", "_sum", "_count"};

void check_names(const std::string& name, MetricType type,
                 const std::vector<std::string>& label_names) {
  if (!valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name \"" + name +
                                "\": want [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  std::set<std::string_view> seen;
  for (const std::string& label : label_names) {
    if (!valid_label_name(label)) {
      throw std::invalid_argument("metric " + name + ": invalid label name \"" + label +
                                  "\": want [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument("metric " + name + ": label \"" + label + "\" given twice");
    }
    if (type == MetricType::kHistogram && label == "le") {
      throw std::invalid_argument("metric " + name + ": histogram label \"le\" is reserved");
    }
  }
}

}  // namespace

FamilyBase* Registry::find_compatible(const std::string& name, const std::string& help,
                                      MetricType type, const std::vector<std::string>& label_names,
                                      const std::vector<double>& bounds) const {
  check_names(name, type, label_names);
  // The series a histogram writes must not collide with another family's name, either way.
  for (std::string_view suffix : kHistogramSuffixes) {
    if (name.ends_with(suffix)) {
      const std::string base = name.substr(0, name.size() - suffix.size());
      auto it = families_.find(base);
      if (it != families_.end() && it->second->type() == MetricType::kHistogram) {
        throw std::invalid_argument("metric name " + name + " is a series of histogram " + base);
      }
    }
    if (type == MetricType::kHistogram && families_.contains(name + std::string(suffix))) {
      throw std::invalid_argument("histogram " + name + " would collide with metric " + name +
                                  std::string(suffix));
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  FamilyBase& existing = *it->second;
  if (existing.type() != type || existing.help() != help || existing.label_names() != label_names ||
      existing.bounds() != bounds) {
    throw std::invalid_argument("metric " + name +
                                " is already registered with a different type, help, labels "
                                "or buckets");
  }
  return &existing;
}

template <typename FamilyType>
FamilyType& Registry::add(std::unique_ptr<FamilyType> family) {
  FamilyType& ref = *family;
  families_.emplace(family->name(), std::move(family));
  return ref;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (FamilyBase* existing = find_compatible(name, help, MetricType::kCounter, label_names, {})) {
    // A callback family exported as a counter has the same type: tell them apart.
    if (auto* counter = dynamic_cast<CounterFamily*>(existing)) return *counter;
    throw std::invalid_argument("metric " + name + " is already registered as a callback");
  }
  auto& family = add(std::make_unique<CounterFamily>(name, help, MetricType::kCounter,
                                                     std::move(label_names), std::vector<double>{},
                                                     [] { return std::make_shared<Counter>(); }));
  if (family.label_names().empty()) family.with({});
  return family;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  if (FamilyBase* existing = find_compatible(name, help, MetricType::kGauge, label_names, {})) {
    // A callback family exported as a gauge has the same type: tell them apart.
    if (auto* gauge = dynamic_cast<GaugeFamily*>(existing)) return *gauge;
    throw std::invalid_argument("metric " + name + " is already registered as a callback");
  }
  auto& family = add(std::make_unique<GaugeFamily>(name, help, MetricType::kGauge,
                                                   std::move(label_names), std::vector<double>{},
                                                   [] { return std::make_shared<Gauge>(); }));
  if (family.label_names().empty()) family.with({});
  return family;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> bounds) {
  bounds = checked_bounds(std::move(bounds));
  std::lock_guard lock(mu_);
  if (FamilyBase* existing =
          find_compatible(name, help, MetricType::kHistogram, label_names, bounds)) {
    return static_cast<HistogramFamily&>(*existing);
  }
  auto& family = add(std::make_unique<HistogramFamily>(
      name, help, MetricType::kHistogram, std::move(label_names), bounds,
      [bounds] { return std::make_shared<Histogram>(bounds); }));
  if (family.label_names().empty()) family.with({});
  return family;
}

CallbackFamily& Registry::callback(const std::string& name, const std::string& help,
                                   MetricType type, std::vector<std::string> label_names) {
  if (type == MetricType::kHistogram) {
    throw std::invalid_argument("metric " + name + ": a callback family cannot be a histogram");
  }
  std::lock_guard lock(mu_);
  if (FamilyBase* existing = find_compatible(name, help, type, label_names, {})) {
    if (auto* callback = dynamic_cast<CallbackFamily*>(existing)) return *callback;
    throw std::invalid_argument("metric " + name + " is already registered, not as a callback");
  }
  return add(std::make_unique<CallbackFamily>(name, help, type, std::move(label_names)));
}

std::vector<FamilySnapshot> Registry::collect(CollectMode mode) const {
  // Families are never removed, so the pointers outlive the lock; collecting without it keeps
  // slow callbacks from blocking registration.
  std::vector<const FamilyBase*> families;
  {
    std::lock_guard lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  std::vector<FamilySnapshot> snapshots;
  snapshots.reserve(families.size());
  for (const FamilyBase* family : families) snapshots.push_back(family->collect(mode));
  return snapshots;
}

}  // namespace skiff::metrics
