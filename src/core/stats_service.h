#pragma once
// Container and pod usage for the stats RPCs: the cgroup figures (through the cgroup driver),
// CPU as a rate over the interval since the previous call, the writable layer's disk use
// (cached, core/layer_usage_cache.h) and, for pods, the network counters of the pod's
// namespace. Reads only: nothing here takes an operation lock, so a slow stats caller
// never holds up a lifecycle call.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "base/clock.h"
#include "cgroup/cgroup_stats.h"
#include "core/container_service.h"
#include "core/cpu_rates.h"
#include "core/host_services.h"
#include "core/layer_usage_cache.h"
#include "core/sandbox_service.h"
#include "core/state.h"
#include "network/interface_usage.h"

namespace berth::core {

struct WritableLayerStats {
  std::string mountpoint;  // the filesystem the layers live on (as ImageFsInfo reports it)
  sys::DiskUsage usage;
  absl::Time taken_at;
};

struct ContainerStatsView {
  ContainerRecord rec;
  absl::Time taken_at;
  // Empty when the container has no group (exited, or gone mid-read).
  std::optional<cgroup::CgroupStats> usage;
  std::optional<uint64_t> cpu_nano_cores;  // empty on the first sample
  std::optional<WritableLayerStats> writable_layer;
};

struct PodNetworkStats {
  std::string default_interface;  // eth0 when the pod has one, else the first
  std::vector<network::InterfaceUsage> interfaces;
};

struct PodStatsView {
  PodRecord rec;
  absl::Time taken_at;
  std::optional<cgroup::CgroupStats> usage;
  std::optional<uint64_t> cpu_nano_cores;
  std::optional<PodNetworkStats> network;  // empty for host-network pods
  std::vector<ContainerStatsView> containers;
};

class StatsService {
 public:
  static constexpr absl::Duration kLayerRefresh = absl::Seconds(10);

  StatsService(State& state, SandboxService& pods, ContainerService& containers, const HostServices& host,
               const Clock& clock, absl::Duration layer_refresh = kLayerRefresh)
      : state_(state), pods_(pods), containers_(containers), host_(host), clock_(clock), layers_(layer_refresh) {}

  // NotFound naming `ref` when no such container (or pod) exists.
  absl::StatusOr<ContainerStatsView> container(const std::string& ref);
  // The containers ListContainers would give for the same filter.
  std::vector<ContainerStatsView> containers(const ContainerFilter& f);
  absl::StatusOr<PodStatsView> pod(const std::string& ref);
  // The pods ListPodSandbox would give for the same filter.
  std::vector<PodStatsView> pods(const PodFilter& f);

 private:
  ContainerStatsView measure(ContainerRecord rec, const std::optional<PodRecord>& pod);
  PodStatsView measure(PodRecord rec);
  std::optional<cgroup::CgroupStats> read_group(const std::string& relative, std::string_view whose);
  std::optional<PodNetworkStats> network_of(const PodRecord& pod);
  std::optional<PodRecord> pod_of(const ContainerRecord& rec) const;
  // Forgets the samples of removed objects.
  void prune();

  State& state_;
  SandboxService& pods_;
  ContainerService& containers_;
  const HostServices& host_;
  const Clock& clock_;
  CpuRates cpu_rates_;
  LayerUsageCache layers_;
};

}  // namespace berth::core
