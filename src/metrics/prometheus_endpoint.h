#pragma once
// berthd's metrics endpoint ([metrics] address): Prometheus text exposition at /metrics of
// per-RPC latency and errors, pods and containers by state, image pulls, monitor launches
// and deaths, and OOM kills. prometheus-cpp (Debian's prometheus-cpp-dev) keeps the series
// and serves them over its embedded HTTP server.
#include <memory>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "core/state.h"
#include "core/telemetry.h"
#include "cri/serve.h"
#include "metrics/state_collector.h"

namespace berth::metrics {

class PrometheusEndpoint final : public core::Telemetry, public cri::RpcObserver {
 public:
  // Listens on `address` ("IP:PORT"); fails naming it when it cannot.
  static absl::StatusOr<std::unique_ptr<PrometheusEndpoint>> start(const std::string& address, const core::State& state);

  void monitor_launched() override { monitor_launches_.Increment(); }
  void monitor_died() override { monitor_deaths_.Increment(); }
  void container_oom_killed() override { oom_kills_.Increment(); }
  void image_pulled(uint64_t bytes, absl::Duration took) override;
  void observe(std::string_view rpc, absl::StatusCode code, absl::Duration took) override;

 private:
  explicit PrometheusEndpoint(const core::State& state);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<StateCollector> state_collector_;
  prometheus::Family<prometheus::Histogram>& rpc_durations_;
  prometheus::Family<prometheus::Counter>& rpc_errors_;
  prometheus::Counter& pull_bytes_;
  prometheus::Histogram& pull_durations_;
  prometheus::Counter& monitor_launches_;
  prometheus::Counter& monitor_deaths_;
  prometheus::Counter& oom_kills_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // last: stops serving before the series go
};

}  // namespace berth::metrics
