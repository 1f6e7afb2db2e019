#include "metrics/state_collector.h"

#include <map>
#include <string>

namespace berth::metrics {

namespace {

prometheus::MetricFamily gauge_by_state(std::string name, std::string help, const std::map<std::string, int>& counts) {
  prometheus::MetricFamily f{.name = std::move(name), .help = std::move(help), .type = prometheus::MetricType::Gauge, .metric = {}};
  for (const auto& [state, n] : counts) {
    prometheus::ClientMetric m;
    m.label.push_back({"state", state});
    m.gauge.value = n;
    f.metric.push_back(std::move(m));
  }
  return f;
}

}  // namespace

std::vector<prometheus::MetricFamily> StateCollector::Collect() const {
  // Every state is present, at 0 when nothing is in it, so a series never vanishes.
  std::map<std::string, int> pods = {{"ready", 0}, {"notready", 0}};
  for (const core::PodEntryPtr& p : state_.pods.all())
    ++pods[p->snapshot().state == core::PodState::Ready ? "ready" : "notready"];
  std::map<std::string, int> containers = {{"created", 0}, {"running", 0}, {"exited", 0}};
  for (const core::ContainerEntryPtr& c : state_.containers.all()) {
    switch (c->snapshot().state) {
      case core::ContainerState::Created: ++containers["created"]; break;
      case core::ContainerState::Running: ++containers["running"]; break;
      case core::ContainerState::Exited: ++containers["exited"]; break;
      case core::ContainerState::Creating: break;  // not visible until created
    }
  }
  return {gauge_by_state("berth_pods", "Pod sandboxes by state.", pods),
          gauge_by_state("berth_containers", "Containers by state.", containers)};
}

}  // namespace berth::metrics
