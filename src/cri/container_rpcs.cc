#include "cri/convert/filters.h"
#include "cri/convert/requests.h"
#include "cri/convert/responses.h"
#include "cri/list_batches.h"
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::CreateContainer(Ctx* ctx, const v1::CreateContainerRequest* req,
                                             v1::CreateContainerResponse* resp) {
  const std::string subject = req->config().metadata().name();
  return serve(ready_, *ctx, RpcKind::Mutation, "CreateContainer", subject, [&](const core::OpContext& op) {
    ASSIGN_OR_RETURN(core::ContainerCreateRequest in, to_container_request(*req));
    ASSIGN_OR_RETURN(ContainerId id, containers_.create(op, std::move(in)));
    resp->set_container_id(id.str());
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::StartContainer(Ctx* ctx, const v1::StartContainerRequest* req, v1::StartContainerResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "StartContainer", req->container_id(), [&](const core::OpContext& op) {
    return containers_.start(op, req->container_id());
  });
}

grpc::Status RuntimeService::StopContainer(Ctx* ctx, const v1::StopContainerRequest* req, v1::StopContainerResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "StopContainer", req->container_id(), [&](const core::OpContext& op) {
    if (req->container_id().empty()) return absl::InvalidArgumentError("StopContainerRequest.container_id is required");
    if (req->timeout() < 0)
      return absl::InvalidArgumentError(fmt::format("StopContainerRequest.timeout {} is negative", req->timeout()));
    absl::Status s = containers_.stop(op, req->container_id(), std::chrono::seconds(req->timeout()));
    // api.proto: StopContainer is idempotent; an unknown container is not an error.
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

grpc::Status RuntimeService::RemoveContainer(Ctx* ctx, const v1::RemoveContainerRequest* req,
                                             v1::RemoveContainerResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "RemoveContainer", req->container_id(), [&](const core::OpContext& op) {
    if (req->container_id().empty()) return absl::InvalidArgumentError("RemoveContainerRequest.container_id is required");
    absl::Status s = containers_.remove(op, req->container_id());
    // api.proto: RemoveContainer is idempotent; an unknown container is not an error.
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  });
}

grpc::Status RuntimeService::ListContainers(Ctx* ctx, const v1::ListContainersRequest* req,
                                            v1::ListContainersResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ListContainers", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::ContainerFilter f, to_filter(req->filter()));
    for (const core::ContainerRecord& r : containers_.list(f)) to_proto(r, resp->add_containers());
    return check_unary_list_size(*resp, "ListContainers", "StreamContainers");
  });
}

grpc::Status RuntimeService::StreamContainers(Ctx* ctx, const v1::StreamContainersRequest* req,
                                              grpc::ServerWriter<v1::StreamContainersResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "StreamContainers", "", [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(const core::ContainerFilter f, to_filter(req->filter()));
    return write_in_batches<v1::StreamContainersResponse, v1::Container>(
        writer, containers_.list(f), [](auto& r) { return r.mutable_containers(); },
        [](const core::ContainerRecord& r, v1::Container* out) { to_proto(r, out); });
  });
}

grpc::Status RuntimeService::ContainerStatus(Ctx* ctx, const v1::ContainerStatusRequest* req,
                                             v1::ContainerStatusResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Read, "ContainerStatus", req->container_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(core::ContainerView v, containers_.status(req->container_id(), req->verbose()));
    to_proto(v, req->verbose(), resp);
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::UpdateContainerResources(Ctx* ctx, const v1::UpdateContainerResourcesRequest* req,
                                                      v1::UpdateContainerResourcesResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "UpdateContainerResources", req->container_id(),
               [&](const core::OpContext& op) {
                 if (!req->has_linux())
                   return absl::InvalidArgumentError("UpdateContainerResourcesRequest.linux is required");
                 return containers_.update_resources(op, req->container_id(), to_resources(req->linux()));
               });
}

grpc::Status RuntimeService::ReopenContainerLog(Ctx* ctx, const v1::ReopenContainerLogRequest* req,
                                                v1::ReopenContainerLogResponse*) {
  return serve(ready_, *ctx, RpcKind::Mutation, "ReopenContainerLog", req->container_id(),
               [&](const core::OpContext& op) { return containers_.reopen_log(op, req->container_id()); });
}

}  // namespace berth::cri
