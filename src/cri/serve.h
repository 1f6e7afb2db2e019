#pragma once
// The one boundary every RPC passes: readiness check, OpContext from the gRPC context, a
// last-resort catch so a bug fails one RPC instead of the daemon, one log line per outcome
// (info for mutations, debug for reads), and absl -> gRPC status mapping (same codes).
#include <atomic>
#include <exception>
#include <string_view>

#include <absl/status/status.h>
#include <absl/time/clock.h>
#include <grpcpp/grpcpp.h>

#include "base/log.h"
#include "core/op_context.h"

namespace berth::cri {

enum class RpcKind { Mutation, Read };

inline grpc::Status to_grpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

inline core::OpContext op_context_from(const grpc::ServerContext& ctx) {
  core::OpContext op;
  // ServerContext outlives the handler, and with it every copy of `op` that is not detached.
  op.cancelled = [&ctx] { return ctx.IsCancelled(); };
  const auto deadline = ctx.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) op.deadline = absl::FromChrono(deadline);
  for (const auto& [k, v] : ctx.client_metadata())
    if (k == "x-request-id") op.request_id.assign(v.data(), v.size());
  return op;
}

inline grpc::Status unimplemented(std::string_view rpc, std::string_view why) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, fmt::format("{} is not implemented by berth yet: {}", rpc, why));
}

// Sees every served RPC's outcome and duration (berthd's metrics endpoint). Set once, before
// serving; none by default.
class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  virtual void observe(std::string_view rpc, absl::StatusCode code, absl::Duration took) = 0;
};
inline std::atomic<RpcObserver*>& rpc_observer() {
  static std::atomic<RpcObserver*> observer{nullptr};
  return observer;
}

template <class Fn>
grpc::Status serve(const std::atomic<bool>& ready, grpc::ServerContext& ctx, RpcKind kind, std::string_view rpc,
                   std::string_view subject, Fn&& fn) {
  if (!ready.load(std::memory_order_acquire))
    return to_grpc(absl::UnavailableError("berthd is recovering its state; retry"));
  const core::OpContext op = op_context_from(ctx);
  const absl::Time start = absl::Now();
  absl::Status s;
  try {
    s = fn(op);
  } catch (const std::exception& e) {
    BERTH_LOG(err, "BUG: {} {} threw: {}", rpc, subject, e.what());
    s = absl::InternalError(fmt::format("{}: internal error: {}", rpc, e.what()));
  }
  if (!s.ok()) {
    BERTH_LOG(warn, "{} {} failed: {}", rpc, subject, s.ToString());
  } else if (kind == RpcKind::Mutation) {
    BERTH_LOG(info, "{} {} ok", rpc, subject);
  } else {
    BERTH_LOG(debug, "{} {} ok", rpc, subject);
  }
  if (RpcObserver* o = rpc_observer().load(std::memory_order_acquire)) o->observe(rpc, s.code(), absl::Now() - start);
  return to_grpc(s);
}

}  // namespace berth::cri
