// GetContainerEvents: one subscription of core's event feed per call, for as long as the
// client stays. A client that stops reading blocks only its own Write; once the feed drops
// it for falling behind, that Write is cut off by cancelling the call.
#include <atomic>

#include "cri/convert/events.h"
#include "cri/runtime_service.h"
#include "cri/serve.h"

namespace berth::cri {

namespace {
// How often a handler waiting for an event looks whether its client went away.
constexpr absl::Duration kCancelCheck = absl::Seconds(1);
}  // namespace

grpc::Status RuntimeService::GetContainerEvents(Ctx* ctx, const v1::GetEventsRequest*,
                                                grpc::ServerWriter<v1::ContainerEventResponse>* writer) {
  return serve(ready_, *ctx, RpcKind::Read, "GetContainerEvents", "", [&](const core::OpContext&) -> absl::Status {
    // Either the handler sees `dropped` before it writes, or the hook sees `writing` and
    // cancels the write that may never end.
    std::atomic<bool> writing{false}, dropped{false};
    ASSIGN_OR_RETURN(std::unique_ptr<core::EventFeed::Subscription> sub, events_.subscribe([&] {
      dropped.store(true);
      if (writing.load()) ctx->TryCancel();
    }));
    // The stream is open (headers sent) before the first event, so a client knows it is
    // subscribed and will see every later change.
    writer->SendInitialMetadata();
    while (!ctx->IsCancelled()) {
      ASSIGN_OR_RETURN(std::optional<core::LifecycleEvent> e, sub->next(absl::Now() + kCancelCheck));
      if (!e) continue;
      v1::ContainerEventResponse out;
      to_proto(*e, &out);
      writing.store(true);
      if (dropped.load()) break;
      const bool written = writer->Write(out);
      writing.store(false);
      if (!written) break;
    }
    // The feed's reason if it dropped this subscriber, else the client left.
    absl::StatusOr<std::optional<core::LifecycleEvent>> last = sub->next(absl::Now());
    if (!last.ok()) return last.status();
    return absl::CancelledError("GetContainerEvents: the client went away");
  });
}

}  // namespace berth::cri
