#include "metrics/prometheus_endpoint.h"

#include <exception>

#include <fmt/format.h>

namespace berth::metrics {

namespace {

// Seconds: from a quick status call to a slow create or pull.
const prometheus::Histogram::BucketBoundaries kRpcBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                             0.25,  0.5,    1,     2.5,  5,     10,   30, 60};
const prometheus::Histogram::BucketBoundaries kPullBuckets = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

prometheus::Counter& counter(prometheus::Registry& r, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

PrometheusEndpoint::PrometheusEndpoint(const core::State& state)
    : registry_(std::make_shared<prometheus::Registry>()),
      state_collector_(std::make_shared<StateCollector>(state)),
      rpc_durations_(prometheus::BuildHistogram()
                         .Name("berth_rpc_duration_seconds")
                         .Help("How long each CRI RPC took, by RPC (streams: until they ended).")
                         .Register(*registry_)),
      rpc_errors_(prometheus::BuildCounter()
                      .Name("berth_rpc_errors_total")
                      .Help("CRI RPCs that failed, by RPC and gRPC status code.")
                      .Register(*registry_)),
      pull_bytes_(counter(*registry_, "berth_image_pull_bytes_total",
                          "Bytes of the images pulled (compressed layers and config, as the registry reports them).")),
      pull_durations_(prometheus::BuildHistogram()
                          .Name("berth_image_pull_duration_seconds")
                          .Help("How long successful image pulls took.")
                          .Register(*registry_)
                          .Add({}, kPullBuckets)),
      monitor_launches_(counter(*registry_, "berth_monitor_launches_total", "Pod monitors started.")),
      monitor_deaths_(counter(*registry_, "berth_monitor_deaths_total",
                              "Pod monitors that died without berthd asking (their pods were taken over).")),
      oom_kills_(counter(*registry_, "berth_container_oom_kills_total", "Containers whose init the OOM killer ended.")) {}

absl::StatusOr<std::unique_ptr<PrometheusEndpoint>> PrometheusEndpoint::start(const std::string& address,
                                                                               const core::State& state) {
  std::unique_ptr<PrometheusEndpoint> e(new PrometheusEndpoint(state));
  try {
    // One thread: a scrape every few seconds needs no more.
    e->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& ex) {
    return absl::UnavailableError(fmt::format("metrics endpoint on {}: {}", address, ex.what()));
  }
  e->exposer_->RegisterCollectable(e->registry_);
  e->exposer_->RegisterCollectable(e->state_collector_);
  return e;
}

void PrometheusEndpoint::image_pulled(uint64_t bytes, absl::Duration took) {
  pull_bytes_.Increment(static_cast<double>(bytes));
  pull_durations_.Observe(absl::ToDoubleSeconds(took));
}

void PrometheusEndpoint::observe(std::string_view rpc, absl::StatusCode code, absl::Duration took) {
  // Family::Add finds the series or creates it, under the family's own lock.
  rpc_durations_.Add({{"rpc", std::string(rpc)}}, kRpcBuckets).Observe(absl::ToDoubleSeconds(took));
  if (code != absl::StatusCode::kOk)
    rpc_errors_.Add({{"rpc", std::string(rpc)}, {"code", absl::StatusCodeToString(code)}}).Increment();
}

}  // namespace berth::metrics
