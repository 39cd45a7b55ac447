#include "metrics/family.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "metrics/exposition.h"

namespace skiff::metrics {

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

void FamilyBase::check_arity(const std::vector<std::string>& label_values) const {
  if (label_values.size() != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(label_values.size()));
  }
}

std::string FamilyBase::render_labels(const std::vector<std::string>& label_values) const {
  std::string body;
  const std::size_t count = std::min(label_names_.size(), label_values.size());
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) body += ',';
    body += label_names_[i];
    body += "=\"";
    append_escaped_label_value(body, label_values[i]);
    body += '"';
  }
  return body;
}

FamilySnapshot FamilyBase::empty_snapshot() const {
  FamilySnapshot snapshot;
  snapshot.name = name_;
  snapshot.help = help_;
  snapshot.type = type_;
  snapshot.label_names = label_names_;
  snapshot.bounds = bounds_;
  return snapshot;
}

void CallbackFamily::set(const std::vector<std::string>& label_values, Callback callback) {
  check_arity(label_values);
  std::lock_guard lock(mu_);
  children_[label_values] = std::move(callback);
}

bool CallbackFamily::remove(const std::vector<std::string>& label_values) {
  std::lock_guard lock(mu_);
  return children_.erase(label_values) > 0;
}

FamilySnapshot CallbackFamily::collect(CollectMode) const {
  FamilySnapshot snapshot = empty_snapshot();
  std::lock_guard lock(mu_);
  snapshot.children.reserve(children_.size());
  for (const auto& [label_values, callback] : children_) {
    ChildSnapshot& child = snapshot.children.emplace_back();
    child.label_values = label_values;
    // A scrape must never fail because one value could not be computed.
    try {
      child.value = callback ? callback() : std::numeric_limits<double>::quiet_NaN();
    } catch (...) {
      child.value = std::numeric_limits<double>::quiet_NaN();
    }
  }
  return snapshot;
}

}  // namespace skiff::metrics
