#pragma once
// Deadlines and cancellation travel as a domain OpContext; gRPC types stay in cri/.
#include <functional>
#include <string>

#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace berth::core {

struct OpContext {
  absl::Time deadline = absl::InfiniteFuture();
  std::function<bool()> cancelled;  // true once the caller went away (gRPC: it cancelled)
  std::string request_id;

  // True once the caller stopped waiting: its deadline passed or it cancelled.
  bool caller_gone() const {
    return absl::Now() > deadline || (cancelled && cancelled());
  }
  // For cleanup that must run even after the caller gave up.
  OpContext detached() const { return OpContext{.deadline = absl::InfiniteFuture(), .request_id = request_id}; }
};

}  // namespace berth::core
