#include "cri/convert/filters.h"
#include "cri/convert/requests.h"
#include "cri/convert/responses.h"
#include "cri/list_batches.h"
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::RunPodSandbox(Ctx* ctx, const v1::RunPodSandboxRequest* req,
                                           v1::RunPodSandboxResponse* resp) {
  const std::string subject = req->has_config() ? req->config().metadata().name() : "";
  return serve(ready_, *ctx, RpcKind::Mutation, "RunPodSandbox", subject, [&](const core::OpContext& op) {
    if (!req->has_config()) return absl::InvalidArgumentError("RunPodSandboxRequest.config is required");
    ASSIGN_OR_RETURN(core::PodSpec spec, to_pod_spec(req->config(), req->runtime_handler()));
    ASSIGN_OR_RETURN(PodId id, pods_.run(op, std::move(spec)));
    resp->set_pod_sandbox_id(id.str());
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::StopPodSandbox(Ctx* ctx, const v1::StopPodSandboxRequest* req, v1::StopPodSandboxResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "StopPodSandbox", req->pod_sandbox_id(), [&](const core::OpContext& op) {
    if (req->pod_sandbox_id().empty()) return absl::InvalidArgumentError("StopPodSandboxRequest.pod_sandbox_id is required");
    absl::Status s = pods_.stop(op, req->pod_sandbox_id());
    // api.proto: stopping a sandbox that is already gone is not an error.
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

grpc::Status RuntimeService::RemovePodSandbox(Ctx* ctx, const v1::RemovePodSandboxRequest* req,
                                              v1::RemovePodSandboxResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "RemovePodSandbox", req->pod_sandbox_id(), [&](const core::OpContext& op) {
    if (req->pod_sandbox_id().empty())
      return absl::InvalidArgumentError("RemovePodSandboxRequest.pod_sandbox_id is required");
    absl::Status s = pods_.remove(op, req->pod_sandbox_id());
    // api.proto: removing a sandbox that is already gone is not an error.
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

grpc::Status RuntimeService::UpdatePodSandboxResources(Ctx* ctx, const v1::UpdatePodSandboxResourcesRequest* req,
                                                       v1::UpdatePodSandboxResourcesResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "UpdatePodSandboxResources", req->pod_sandbox_id(),
               [&](const core::OpContext& op) {
                 if (req->pod_sandbox_id().empty())
                   return absl::InvalidArgumentError("UpdatePodSandboxResourcesRequest.pod_sandbox_id is required");
                 std::optional<spec::ResourcesInput> overhead, resources;
                 if (req->has_overhead()) overhead = to_resources(req->overhead());
                 if (req->has_resources()) resources = to_resources(req->resources());
                 return pods_.update_resources(op, req->pod_sandbox_id(), std::move(overhead), std::move(resources));
               });
}

grpc::Status RuntimeService::PodSandboxStatus(Ctx* ctx, const v1::PodSandboxStatusRequest* req,
                                              v1::PodSandboxStatusResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "PodSandboxStatus", req->pod_sandbox_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(core::PodView v, pods_.status(req->pod_sandbox_id(), req->verbose()));
    to_proto(v, req->verbose(), resp);
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::ListPodSandbox(Ctx* ctx, const v1::ListPodSandboxRequest* req,
                                            v1::ListPodSandboxResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListPodSandbox", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::PodFilter f, to_filter(req->filter()));
    for (const core::PodRecord& r : pods_.list(f)) to_proto(r, resp->add_items());
    return check_unary_list_size(*resp, "ListPodSandbox", "StreamPodSandboxes");
  });
}

grpc::Status RuntimeService::StreamPodSandboxes(Ctx* ctx, const v1::StreamPodSandboxesRequest* req,
                                                grpc::ServerWriter<v1::StreamPodSandboxesResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamPodSandboxes", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::PodFilter f, to_filter(req->filter()));
    return write_in_batches<v1::StreamPodSandboxesResponse, v1::PodSandbox>(
        writer, pods_.list(f), [](auto& r) { return r.mutable_pod_sandboxes(); },
        [](const core::PodRecord& r, v1::PodSandbox* out) { to_proto(r, out); });
  });
}

}  // namespace berth::cri
