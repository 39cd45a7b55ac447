// The set of metric families one /metrics endpoint exports. Each subsystem registers its
// families once at start-up (its own metrics.h) and keeps the returned references; the
// exposition reads them all at scrape time.
//
//   metrics::Registry registry;
//   auto& sessions = registry.counter("skiff_proxy_sessions_total", "TCP sessions accepted.",
//                                     {"service", "port"});
//   metrics::Counter& web = sessions.with({"default/web", "6000"});  // once
//   web.inc();                                                        // hot path, no lock
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/family.h"
#include "metrics/histogram.h"
#include "metrics/snapshot.h"

namespace skiff::metrics {

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each registers a family and returns it; the reference lives as long as the Registry.
  // Registering a name again with the same type, help, label names (and bounds) returns the
  // existing family, so two instances of a subsystem may share one registry. Anything else
  // throws std::invalid_argument with the reason: an invalid metric or label name, a
  // duplicate label name, "le" on a histogram, a name taken by another family (including a
  // histogram's _bucket/_sum/_count series), bad histogram bounds.
  // A family without labels has its single child from the start, so it exports 0 before the
  // first increment; with({}) returns it.
  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names = {},
                             std::vector<double> bounds = default_buckets());
  // type is kCounter or kGauge (a callback cannot be a histogram).
  CallbackFamily& callback(const std::string& name, const std::string& help, MetricType type,
                           std::vector<std::string> label_names = {});

  // Every family's current values, ordered by family name. Safe to call from any thread,
  // concurrently with registration and with updates.
  std::vector<FamilySnapshot> collect(CollectMode mode = CollectMode::kFull) const;

 private:
  // Returns the existing family of this name if it matches exactly, nullptr if the name is
  // free; throws if the name is unusable. Called with mu_ held.
  FamilyBase* find_compatible(const std::string& name, const std::string& help, MetricType type,
                              const std::vector<std::string>& label_names,
                              const std::vector<double>& bounds) const;

  template <typename FamilyType>
  FamilyType& add(std::unique_ptr<FamilyType> family);

  mutable std::mutex mu_;  // guards families_ (the map; families are never removed)
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
};

}  // namespace skiff::metrics
