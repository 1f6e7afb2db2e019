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

}  // namespace berth::cri
