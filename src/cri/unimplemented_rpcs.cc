// RPCs later issues implement. Each answers UNIMPLEMENTED naming itself and why, so a
// kubelet or crictl user sees what is missing rather than an empty error.
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

#define BERTH_UNIMPLEMENTED(rpc, Req, Resp, why) \
  grpc::Status RuntimeService::rpc(Ctx*, const v1::Req*, Resp*) { return unimplemented(#rpc, why); }

constexpr const char* kStreaming = "the streaming list RPCs come with the events and stats work";
constexpr const char* kStats = "container and pod stats are a later issue";

BERTH_UNIMPLEMENTED(StreamPodSandboxes, StreamPodSandboxesRequest, grpc::ServerWriter<v1::StreamPodSandboxesResponse>, kStreaming)
BERTH_UNIMPLEMENTED(StreamContainers, StreamContainersRequest, grpc::ServerWriter<v1::StreamContainersResponse>, kStreaming)
BERTH_UNIMPLEMENTED(ContainerStats, ContainerStatsRequest, v1::ContainerStatsResponse, kStats)
BERTH_UNIMPLEMENTED(ListContainerStats, ListContainerStatsRequest, v1::ListContainerStatsResponse, kStats)
BERTH_UNIMPLEMENTED(StreamContainerStats, StreamContainerStatsRequest, grpc::ServerWriter<v1::StreamContainerStatsResponse>, kStats)
BERTH_UNIMPLEMENTED(PodSandboxStats, PodSandboxStatsRequest, v1::PodSandboxStatsResponse, kStats)
BERTH_UNIMPLEMENTED(ListPodSandboxStats, ListPodSandboxStatsRequest, v1::ListPodSandboxStatsResponse, kStats)
BERTH_UNIMPLEMENTED(StreamPodSandboxStats, StreamPodSandboxStatsRequest, grpc::ServerWriter<v1::StreamPodSandboxStatsResponse>, kStats)
BERTH_UNIMPLEMENTED(CheckpointContainer, CheckpointContainerRequest, v1::CheckpointContainerResponse,
                    "checkpoint/restore is a later issue")
BERTH_UNIMPLEMENTED(GetContainerEvents, GetEventsRequest, grpc::ServerWriter<v1::ContainerEventResponse>,
                    "container events are a later issue")
BERTH_UNIMPLEMENTED(ListMetricDescriptors, ListMetricDescriptorsRequest, v1::ListMetricDescriptorsResponse, kStats)
BERTH_UNIMPLEMENTED(ListPodSandboxMetrics, ListPodSandboxMetricsRequest, v1::ListPodSandboxMetricsResponse, kStats)
BERTH_UNIMPLEMENTED(StreamPodSandboxMetrics, StreamPodSandboxMetricsRequest, grpc::ServerWriter<v1::StreamPodSandboxMetricsResponse>, kStats)

}  // namespace berth::cri
