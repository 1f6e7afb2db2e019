// RPCs later issues implement. Each answers UNIMPLEMENTED naming itself and why, so a
// kubelet or crictl user sees what is missing rather than an empty error.
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

#define BERTH_UNIMPLEMENTED(rpc, Req, Resp, why) \
  grpc::Status RuntimeService::rpc(Ctx*, const v1::Req*, Resp*) { return unimplemented(#rpc, why); }

BERTH_UNIMPLEMENTED(CheckpointContainer, CheckpointContainerRequest, v1::CheckpointContainerResponse,
                    "checkpoint/restore is a later issue")

}  // namespace berth::cri
