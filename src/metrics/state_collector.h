#pragma once
// Pods and containers by state, counted from the indexes when Prometheus scrapes (nothing
// is kept up to date between scrapes).
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "core/state.h"

namespace berth::metrics {

class StateCollector final : public prometheus::Collectable {
 public:
  explicit StateCollector(const core::State& state) : state_(state) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const core::State& state_;
};

}  // namespace berth::metrics
