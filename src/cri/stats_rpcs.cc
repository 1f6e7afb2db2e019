// Container and pod stats: the unary, list and streaming forms share core's StatsService and
// the list filters of cri/convert/filters.h.
#include "cri/convert/filters.h"
#include "cri/convert/stats.h"
#include "cri/list_batches.h"
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::ContainerStats(Ctx* ctx, const v1::ContainerStatsRequest* req,
                                            v1::ContainerStatsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ContainerStats", req->container_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::ContainerStatsView v, stats_.container(req->container_id()));
    to_proto(v, resp->mutable_stats());
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::ListContainerStats(Ctx* ctx, const v1::ListContainerStatsRequest* req,
                                                v1::ListContainerStatsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListContainerStats", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::ContainerFilter f, to_filter(req->filter()));
    for (const core::ContainerStatsView& v : stats_.containers(f)) to_proto(v, resp->add_stats());
    return check_unary_list_size(*resp, "ListContainerStats", "StreamContainerStats");
  });
}

grpc::Status RuntimeService::StreamContainerStats(Ctx* ctx, const v1::StreamContainerStatsRequest* req,
                                                  grpc::ServerWriter<v1::StreamContainerStatsResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamContainerStats", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::ContainerFilter f, to_filter(req->filter()));
    return write_in_batches<v1::StreamContainerStatsResponse, v1::ContainerStats>(
        writer, stats_.containers(f), [](auto& r) { return r.mutable_container_stats(); },
        [](const core::ContainerStatsView& v, v1::ContainerStats* out) { to_proto(v, out); });
  });
}

grpc::Status RuntimeService::PodSandboxStats(Ctx* ctx, const v1::PodSandboxStatsRequest* req,
                                             v1::PodSandboxStatsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "PodSandboxStats", req->pod_sandbox_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::PodStatsView v, stats_.pod(req->pod_sandbox_id()));
    to_proto(v, resp->mutable_stats());
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::ListPodSandboxStats(Ctx* ctx, const v1::ListPodSandboxStatsRequest* req,
                                                 v1::ListPodSandboxStatsResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListPodSandboxStats", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::PodFilter f, to_filter(req->filter()));
    for (const core::PodStatsView& v : stats_.pods(f)) to_proto(v, resp->add_stats());
    return check_unary_list_size(*resp, "ListPodSandboxStats", "StreamPodSandboxStats");
  });
}

grpc::Status RuntimeService::StreamPodSandboxStats(Ctx* ctx, const v1::StreamPodSandboxStatsRequest* req,
                                                   grpc::ServerWriter<v1::StreamPodSandboxStatsResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamPodSandboxStats", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::PodFilter f, to_filter(req->filter()));
    return write_in_batches<v1::StreamPodSandboxStatsResponse, v1::PodSandboxStats>(
        writer, stats_.pods(f), [](auto& r) { return r.mutable_pod_sandbox_stats(); },
        [](const core::PodStatsView& v, v1::PodSandboxStats* out) { to_proto(v, out); });
  });
}

}  // namespace berth::cri
