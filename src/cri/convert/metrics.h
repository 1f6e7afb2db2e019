#pragma once
// core's pod stats -> CRI metrics (ListPodSandboxMetrics), under the cAdvisor names kubelet's
// /metrics/cadvisor exposes. Every metric berth sends has its descriptor; a figure that
// could not be read is left out, never sent as 0.
#include <vector>

#include "core/stats_service.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

// The static set ListMetricDescriptors answers.
const std::vector<v1::MetricDescriptor>& metric_descriptors();
void to_metrics(const core::PodStatsView& v, v1::PodSandboxMetrics* out);

}  // namespace berth::cri
