#pragma once
// The CRI RuntimeService: each handler validates, converts, calls one core method and
// converts back (STYLE.md 2.1). Members are defined across *_rpcs.cc by RPC family.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/container_service.h"
#include "core/sandbox_service.h"
#include "core/stats_service.h"
#include "cri/cri_api.h"

namespace berth::cri {

namespace v1 = ::runtime::v1;

struct RuntimeInfo {
  std::string version;       // berth's version
  std::string cgroup_mode;   // for Status' verbose info
  std::vector<std::string> runtime_handlers;  // configured handler names; Status lists them
};

// Park a prepared request on the streaming server and return its one-time URL.
struct StreamUrls {
  std::function<absl::StatusOr<std::string>(runtime::ExecStreamRequest)> exec;  // and attach (request.attach)
  std::function<absl::StatusOr<std::string>(std::string pod_id, std::vector<uint16_t> ports)> port_forward;
};

class RuntimeService final : public v1::RuntimeService::Service {
 public:
  RuntimeService(const std::atomic<bool>& ready, core::SandboxService& pods, core::ContainerService& containers,
                 core::StatsService& stats, core::EventFeed& events, RuntimeInfo info, StreamUrls stream_urls)
      : ready_(ready), pods_(pods), containers_(containers), stats_(stats), events_(events), info_(std::move(info)),
        stream_urls_(std::move(stream_urls)) {}

  using Ctx = grpc::ServerContext;
  // runtime_info_rpcs.cc
  grpc::Status Version(Ctx*, const v1::VersionRequest*, v1::VersionResponse*) override;
  grpc::Status Status(Ctx*, const v1::StatusRequest*, v1::StatusResponse*) override;
  grpc::Status RuntimeConfig(Ctx*, const v1::RuntimeConfigRequest*, v1::RuntimeConfigResponse*) override;
  // sandbox_rpcs.cc
  grpc::Status RunPodSandbox(Ctx*, const v1::RunPodSandboxRequest*, v1::RunPodSandboxResponse*) override;
  grpc::Status StopPodSandbox(Ctx*, const v1::StopPodSandboxRequest*, v1::StopPodSandboxResponse*) override;
  grpc::Status RemovePodSandbox(Ctx*, const v1::RemovePodSandboxRequest*, v1::RemovePodSandboxResponse*) override;
  grpc::Status PodSandboxStatus(Ctx*, const v1::PodSandboxStatusRequest*, v1::PodSandboxStatusResponse*) override;
  grpc::Status ListPodSandbox(Ctx*, const v1::ListPodSandboxRequest*, v1::ListPodSandboxResponse*) override;
  grpc::Status StreamPodSandboxes(Ctx*, const v1::StreamPodSandboxesRequest*,
                                  grpc::ServerWriter<v1::StreamPodSandboxesResponse>*) override;
  // container_rpcs.cc
  grpc::Status CreateContainer(Ctx*, const v1::CreateContainerRequest*, v1::CreateContainerResponse*) override;
  grpc::Status StartContainer(Ctx*, const v1::StartContainerRequest*, v1::StartContainerResponse*) override;
  grpc::Status StopContainer(Ctx*, const v1::StopContainerRequest*, v1::StopContainerResponse*) override;
  grpc::Status RemoveContainer(Ctx*, const v1::RemoveContainerRequest*, v1::RemoveContainerResponse*) override;
  grpc::Status ListContainers(Ctx*, const v1::ListContainersRequest*, v1::ListContainersResponse*) override;
  grpc::Status StreamContainers(Ctx*, const v1::StreamContainersRequest*,
                                grpc::ServerWriter<v1::StreamContainersResponse>*) override;
  grpc::Status ContainerStatus(Ctx*, const v1::ContainerStatusRequest*, v1::ContainerStatusResponse*) override;
  grpc::Status UpdateContainerResources(Ctx*, const v1::UpdateContainerResourcesRequest*,
                                        v1::UpdateContainerResourcesResponse*) override;
  grpc::Status ReopenContainerLog(Ctx*, const v1::ReopenContainerLogRequest*, v1::ReopenContainerLogResponse*) override;
  // exec_rpcs.cc
  grpc::Status ExecSync(Ctx*, const v1::ExecSyncRequest*, v1::ExecSyncResponse*) override;
  grpc::Status Exec(Ctx*, const v1::ExecRequest*, v1::ExecResponse*) override;
  grpc::Status Attach(Ctx*, const v1::AttachRequest*, v1::AttachResponse*) override;
  grpc::Status PortForward(Ctx*, const v1::PortForwardRequest*, v1::PortForwardResponse*) override;
  // stats_rpcs.cc
  grpc::Status ContainerStats(Ctx*, const v1::ContainerStatsRequest*, v1::ContainerStatsResponse*) override;
  grpc::Status ListContainerStats(Ctx*, const v1::ListContainerStatsRequest*, v1::ListContainerStatsResponse*) override;
  grpc::Status StreamContainerStats(Ctx*, const v1::StreamContainerStatsRequest*,
                                    grpc::ServerWriter<v1::StreamContainerStatsResponse>*) override;
  grpc::Status PodSandboxStats(Ctx*, const v1::PodSandboxStatsRequest*, v1::PodSandboxStatsResponse*) override;
  grpc::Status ListPodSandboxStats(Ctx*, const v1::ListPodSandboxStatsRequest*,
                                   v1::ListPodSandboxStatsResponse*) override;
  grpc::Status StreamPodSandboxStats(Ctx*, const v1::StreamPodSandboxStatsRequest*,
                                     grpc::ServerWriter<v1::StreamPodSandboxStatsResponse>*) override;
  // event_rpcs.cc
  grpc::Status GetContainerEvents(Ctx*, const v1::GetEventsRequest*,
                                  grpc::ServerWriter<v1::ContainerEventResponse>*) override;
  // metrics_rpcs.cc
  grpc::Status ListMetricDescriptors(Ctx*, const v1::ListMetricDescriptorsRequest*,
                                     v1::ListMetricDescriptorsResponse*) override;
  grpc::Status ListPodSandboxMetrics(Ctx*, const v1::ListPodSandboxMetricsRequest*,
                                     v1::ListPodSandboxMetricsResponse*) override;
  grpc::Status StreamPodSandboxMetrics(Ctx*, const v1::StreamPodSandboxMetricsRequest*,
                                       grpc::ServerWriter<v1::StreamPodSandboxMetricsResponse>*) override;
  // unimplemented_rpcs.cc: each answers UNIMPLEMENTED naming itself and the reason.
  grpc::Status UpdateRuntimeConfig(Ctx*, const v1::UpdateRuntimeConfigRequest*,
                                   v1::UpdateRuntimeConfigResponse*) override;
  grpc::Status CheckpointContainer(Ctx*, const v1::CheckpointContainerRequest*,
                                   v1::CheckpointContainerResponse*) override;
  grpc::Status UpdatePodSandboxResources(Ctx*, const v1::UpdatePodSandboxResourcesRequest*,
                                         v1::UpdatePodSandboxResourcesResponse*) override;

 private:
  const std::atomic<bool>& ready_;
  core::SandboxService& pods_;
  core::ContainerService& containers_;
  core::StatsService& stats_;
  core::EventFeed& events_;
  const RuntimeInfo info_;
  const StreamUrls stream_urls_;
};

}  // namespace berth::cri
