#pragma once
// Injected time: logic asks a Clock, tests advance a FakeClock and never sleep.
#include <absl/time/clock.h>
#include <absl/time/time.h>

namespace berth {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time now() const = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time now() const override { return absl::Now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time t) : t_(t) {}
  absl::Time now() const override { return t_; }
  void advance(absl::Duration d) { t_ += d; }

 private:
  absl::Time t_;
};

// Nanoseconds since the Unix epoch, the unit CRI timestamps use.
inline int64_t to_unix_nanos(absl::Time t) { return absl::ToUnixNanos(t); }

}  // namespace berth
