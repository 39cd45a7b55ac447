// A scrape-time copy of a family's values: what the exposition renders. Plain data, so the
// text format is tested byte-exactly without any atomics or callbacks involved.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.h"

namespace skiff::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// "counter", "gauge", "histogram": the word `# TYPE` uses.
std::string_view type_name(MetricType type);

struct ChildSnapshot {
  std::vector<std::string> label_values;  // parallel to FamilySnapshot::label_names
  double value = 0.0;                     // counter and gauge
  Histogram::Reading histogram;           // histogram only
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
