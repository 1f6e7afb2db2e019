// The CRI metrics RPCs: kubelet's /metrics/cadvisor source when the runtime serves pod and
// container metrics (PodAndContainerStatsFromCRI). Read live from the same stats as the
// stats RPCs.
#include "cri/convert/metrics.h"
#include "cri/list_batches.h"
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::ListMetricDescriptors(Ctx* ctx, const v1::ListMetricDescriptorsRequest*,
                                                   v1::ListMetricDescriptorsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListMetricDescriptors", "", [&](const core::OpContext&) {
    for (const v1::MetricDescriptor& d : metric_descriptors()) *resp->add_descriptors() = d;
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::ListPodSandboxMetrics(Ctx* ctx, const v1::ListPodSandboxMetricsRequest*,
                                                   v1::ListPodSandboxMetricsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListPodSandboxMetrics", "", [&](const core::OpContext&) {
    for (const core::PodStatsView& v : stats_.pods({})) to_metrics(v, resp->add_pod_metrics());
    return check_unary_list_size(*resp, "ListPodSandboxMetrics", "StreamPodSandboxMetrics");
  });
}

grpc::Status RuntimeService::StreamPodSandboxMetrics(Ctx* ctx, const v1::StreamPodSandboxMetricsRequest*,
                                                     grpc::ServerWriter<v1::StreamPodSandboxMetricsResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamPodSandboxMetrics", "", [&](const core::OpContext&) {
    return write_in_batches<v1::StreamPodSandboxMetricsResponse, v1::PodSandboxMetrics>(
        writer, stats_.pods({}), [](auto& r) { return r.mutable_pod_sandbox_metrics(); },
        [](const core::PodStatsView& v, v1::PodSandboxMetrics* out) { to_metrics(v, out); });
  });
}

}  // namespace berth::cri
