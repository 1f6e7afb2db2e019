// The monitor protocol decoders (ipc/monitor_protocol.h) on arbitrary frames: every decoder
// either refuses the message or returns a value that survives encode -> decode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ipc/frame.h"
#include "ipc/monitor_protocol.h"

namespace {

template <typename T>
void check(const nlohmann::json& j) {
  absl::StatusOr<T> v = berth::ipc::decode<T>(j);
  if (!v.ok()) return;
  absl::StatusOr<T> again = berth::ipc::decode<T>(berth::ipc::encode(*v));
  if (!again.ok() || !(*again == *v)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<nlohmann::json> j =
      berth::ipc::parse_object(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!j.ok()) return 0;
  using namespace berth::ipc;
  check<CreateRequest>(*j);
  check<CreateResponse>(*j);
  check<StartRequest>(*j);
  check<KillRequest>(*j);
  check<WaitRequest>(*j);
  check<ExitResponse>(*j);
  check<DeleteRequest>(*j);
  check<ExecSyncRequest>(*j);
  check<ExecSyncResponse>(*j);
  check<UpdateRequest>(*j);
  check<ReopenLogRequest>(*j);
  check<ListResponse>(*j);
  check<WatchEvent>(*j);
  check<ExecRequest>(*j);
  check<ExecStarted>(*j);
  check<ExecExit>(*j);
  check<AttachRequest>(*j);
  return 0;
}
