#pragma once
// Fault injection for the fakes of core's seams: arm an operation by name with the status its
// next calls return, or block it (a hang) until the test releases it. Thread-safe.
#include <map>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/synchronization/mutex.h>

namespace berth::fakes {

class Faults {
 public:
  // The next `times` calls of `op` (-1: every call) fail with `s`.
  void fail(const std::string& op, absl::Status s, int times = 1) {
    absl::MutexLock l(&mu_);
    armed_[op] = {std::move(s), times};
  }
  void clear() {
    absl::MutexLock l(&mu_);
    armed_.clear();
  }
  // Calls of `op` wait from now on until unblock(op): a seam that hangs.
  void block(const std::string& op) {
    absl::MutexLock l(&mu_);
    blocked_[op] = true;
  }
  void unblock(const std::string& op) {
    absl::MutexLock l(&mu_);
    blocked_[op] = false;
  }
  // Waits until some call of `op` has started (and is, if blocked, waiting).
  void wait_for_call(const std::string& op) const {
    absl::MutexLock l(&mu_);
    auto called = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return calls_.contains(op); };
    mu_.Await(absl::Condition(&called));
  }

  // OK unless `op` is armed; counts the call either way; waits while `op` is blocked.
  absl::Status take(std::string_view op) {
    absl::MutexLock l(&mu_);
    ++calls_[std::string(op)];
    auto released = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      auto b = blocked_.find(std::string(op));
      return b == blocked_.end() || !b->second;
    };
    mu_.Await(absl::Condition(&released));
    auto it = armed_.find(std::string(op));
    if (it == armed_.end()) return absl::OkStatus();
    absl::Status s = it->second.status;
    if (it->second.times > 0 && --it->second.times == 0) armed_.erase(it);
    return s;
  }
  int calls(std::string_view op) const {
    absl::MutexLock l(&mu_);
    auto it = calls_.find(std::string(op));
    return it == calls_.end() ? 0 : it->second;
  }

 private:
  struct Armed {
    absl::Status status;
    int times = 1;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Armed, std::less<>> armed_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int, std::less<>> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool, std::less<>> blocked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace berth::fakes
