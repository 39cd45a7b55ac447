// A metric family: one name, help text, type and label names, with one child per distinct
// tuple of label values. Children are created on first use and keep their address until
// removed, so a hot path looks its child up once (the only locked step) and then increments
// it without a lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/counter.h"
#include "metrics/gauge.h"
#include "metrics/histogram.h"
#include "metrics/snapshot.h"

namespace skiff::metrics {

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names, std::vector<double> bounds = {});
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }

  // The current values of every child, children ordered by label values.
  virtual FamilySnapshot collect(CollectMode mode = CollectMode::kFull) const = 0;

  // `a="x",b="y"` for these values (one per label name), escaped for the text format.
  std::string render_labels(const std::vector<std::string>& label_values) const;

 protected:
  // Throws std::invalid_argument unless there is one value per label name.
  void check_arity(const std::vector<std::string>& label_values) const;
  FamilySnapshot empty_snapshot() const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
};

inline void read_into(const Counter& metric, ChildSnapshot& child) {
  child.value = static_cast<double>(metric.value());
}
inline void read_into(const Gauge& metric, ChildSnapshot& child) { child.value = metric.value(); }
inline void read_into(const Histogram& metric, ChildSnapshot& child) {
  child.histogram = metric.read();
}

// Metric is Counter, Gauge or Histogram (see the aliases below); Registry creates families.
template <typename Metric>
class Family final : public FamilyBase {
 public:
  using Make = std::function<std::shared_ptr<Metric>()>;

  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> bounds, Make make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names),
                   std::move(bounds)),
        make_(std::move(make)) {}

  // The child for these label values (in label-name order), created at zero on first use.
  // The reference stays valid until remove() of the same values; callers that may outlive a
  // remove() use share(). Throws std::invalid_argument on a wrong number of values.
  Metric& with(const std::vector<std::string>& label_values) { return *share(label_values); }

  // As with(), but the caller co-owns the child, so it stays usable (though no longer
  // exported) after remove().
  std::shared_ptr<Metric> share(const std::vector<std::string>& label_values) {
    check_arity(label_values);
    std::lock_guard lock(mu_);
    if (auto it = children_.find(label_values); it != children_.end()) return it->second->metric;
    // Made before insertion, so a failed allocation leaves no empty child for collect().
    auto child = std::make_shared<Child>(Child{label_values, render_labels(label_values), make_()});
    children_.emplace(label_values, child);
    ordered_stale_ = true;
    return child->metric;
  }

  // Stops exporting the child (e.g. its Service was deleted). False if there was none.
  bool remove(const std::vector<std::string>& label_values) {
    std::lock_guard lock(mu_);
    if (children_.erase(label_values) == 0) return false;
    ordered_stale_ = true;
    return true;
  }

  FamilySnapshot collect(CollectMode mode = CollectMode::kFull) const override {
    FamilySnapshot snapshot = empty_snapshot();
    std::lock_guard lock(mu_);
    if (ordered_stale_) {
      ordered_.clear();
      ordered_.reserve(children_.size());
      for (const auto& entry : children_) ordered_.push_back(entry.second);
      ordered_stale_ = false;
    }
    snapshot.children.resize(ordered_.size());
    for (std::size_t i = 0; i < ordered_.size(); ++i) {
      const std::shared_ptr<const Child>& from = ordered_[i];
      ChildSnapshot& child = snapshot.children[i];
      if (mode == CollectMode::kFull) child.label_values = from->label_values;
      child.rendered_labels = std::shared_ptr<const std::string>(from, &from->rendered_labels);
      read_into(*from->metric, child);
    }
    return snapshot;
  }

 private:
  struct Child {
    std::vector<std::string> label_values;
    std::string rendered_labels;
    std::shared_ptr<Metric> metric;
  };

  Make make_;
  mutable std::mutex mu_;  // guards children_, ordered_ and ordered_stale_ (not the values)
  std::map<std::vector<std::string>, std::shared_ptr<const Child>> children_;
  // children_ in order as a flat array, so a scrape walks no tree; rebuilt after a change.
  mutable std::vector<std::shared_ptr<const Child>> ordered_;
  mutable bool ordered_stale_ = false;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A family whose values are computed at scrape time (process metrics, sizes of structures
// another thread owns). Exposed as a counter or a gauge.
class CallbackFamily final : public FamilyBase {
 public:
  using Callback = std::function<double()>;

  using FamilyBase::FamilyBase;

  // Sets (or replaces) the callback of the child with these label values. Callbacks run on the
  // scraping thread while this family is locked: they must be thread-safe, quick, and must not
  // call back into this family. A callback that throws reads as NaN.
  void set(const std::vector<std::string>& label_values, Callback callback);
  bool remove(const std::vector<std::string>& label_values);

  FamilySnapshot collect(CollectMode mode = CollectMode::kFull) const override;

 private:
  mutable std::mutex mu_;  // guards children_
  std::map<std::vector<std::string>, Callback> children_;
};

}  // namespace skiff::metrics
