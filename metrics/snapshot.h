// A scrape-time copy of a family's values: what the exposition renders. Plain data, so the
// text format is tested byte-exactly without any atomics or callbacks involved.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.h"

namespace skiff::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// "counter", "gauge", "histogram": the word `# TYPE` uses.
std::string_view type_name(MetricType type);

// What a collect() copies. kForExposition leaves ChildSnapshot::label_values empty and sets
// only rendered_labels: the text format needs nothing else, and copying every child's label
// strings was the largest cost of a scrape with thousands of children.
enum class CollectMode { kFull, kForExposition };

struct ChildSnapshot {
  std::vector<std::string> label_values;  // parallel to FamilySnapshot::label_names
  double value = 0.0;                     // counter and gauge
  Histogram::Reading histogram;           // histogram only
  // `a="x",b="y"` for label_values, escaped; set by families (computed once per child, so a
  // scrape does not escape every label again), null in hand-made snapshots (render computes it).
  std::shared_ptr<const std::string> rendered_labels;
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histogram only: the finite upper bounds
  std::vector<ChildSnapshot> children;
};

}  // namespace skiff::metrics
