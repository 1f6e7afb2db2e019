#pragma once
// What the services count for berthd's metrics endpoint. daemon/ wires it to Prometheus
// when [metrics] is on; otherwise (and in tests that do not count) nothing is kept.
#include <cstdint>

#include <absl/time/time.h>

namespace berth::core {

class Telemetry {
 public:
  virtual ~Telemetry() = default;
  virtual void monitor_launched() {}
  virtual void monitor_died() {}  // gone without berthd asking
  virtual void container_oom_killed() {}
  virtual void image_pulled(uint64_t /*bytes*/, absl::Duration /*took*/) {}

  // The one that counts nothing.
  static Telemetry& none() {
    static Telemetry t;
    return t;
  }
};

}  // namespace berth::core
