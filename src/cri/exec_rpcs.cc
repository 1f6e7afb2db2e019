#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

grpc::Status RuntimeService::ExecSync(Ctx* ctx, const v1::ExecSyncRequest* req, v1::ExecSyncResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Mutation, "ExecSync", req->container_id(), [&](const core::OpContext& op) {
    if (req->cmd().empty()) return absl::InvalidArgumentError("ExecSyncRequest.cmd is empty");
    if (req->timeout() < 0)
      return absl::InvalidArgumentError(fmt::format("ExecSyncRequest.timeout {} is negative", req->timeout()));
    ASSIGN_OR_RETURN(runtime::ExecSyncResult r,
                     containers_.exec_sync(op, req->container_id(), {req->cmd().begin(), req->cmd().end()},
                                           std::chrono::seconds(req->timeout())));
    if (r.timed_out)
      return absl::DeadlineExceededError(
          fmt::format("ExecSync in container {}: command timed out after {}s", req->container_id(), req->timeout()));
    resp->set_stdout(std::move(r.out));
    resp->set_stderr(std::move(r.err));
    resp->set_exit_code(r.exit_code);
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::Exec(Ctx* ctx, const v1::ExecRequest* req, v1::ExecResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Mutation, "Exec", req->container_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(runtime::ExecStreamRequest exec,
                     containers_.prepare_exec(req->container_id(), {req->cmd().begin(), req->cmd().end()}, req->tty(),
                                              req->stdin(), req->stdout(), req->stderr()));
    ASSIGN_OR_RETURN(std::string url, stream_urls_.exec(std::move(exec)));
    resp->set_url(std::move(url));
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::Attach(Ctx* ctx, const v1::AttachRequest* req, v1::AttachResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Mutation, "Attach", req->container_id(), [&](const core::OpContext&) {
    ASSIGN_OR_RETURN(runtime::ExecStreamRequest attach,
                     containers_.prepare_attach(req->container_id(), req->tty(), req->stdin(), req->stdout(),
                                                req->stderr()));
    ASSIGN_OR_RETURN(std::string url, stream_urls_.exec(std::move(attach)));
    resp->set_url(std::move(url));
    return absl::OkStatus();
  });
}

grpc::Status RuntimeService::PortForward(Ctx* ctx, const v1::PortForwardRequest* req, v1::PortForwardResponse* resp) {
  return serve(ready_, *ctx, RpcKind::Mutation, "PortForward", req->pod_sandbox_id(), [&](const core::OpContext&) {
    const std::vector<int32_t> ports(req->port().begin(), req->port().end());
    ASSIGN_OR_RETURN(std::string pod, pods_.prepare_port_forward(req->pod_sandbox_id(), ports));
    ASSIGN_OR_RETURN(std::string url, stream_urls_.port_forward(std::move(pod), {ports.begin(), ports.end()}));
    resp->set_url(std::move(url));
    return absl::OkStatus();
  });
}

}  // namespace berth::cri
