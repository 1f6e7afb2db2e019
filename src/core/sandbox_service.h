#pragma once
// The pod sandbox lifecycle without an infra container: namespaces pinned as bind mounts,
// the pod's files, /dev/shm, cgroup and berth-monitor, all rolled back on failure.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "cgroup/cgroup_path.h"
#include "core/container_service.h"
#include "core/host_services.h"
#include "core/op_context.h"
#include "core/state.h"

namespace berth::core {

struct PodFilter {
  std::optional<std::string> id;  // full id or prefix
  std::optional<PodState> state;
  Labels label_selector;
};

// Also the sink of its monitors' events: pushed exits are recorded as they happen, and a
// monitor that dies has its pod taken over.
class SandboxService final : public runtime::MonitorEventSink {
 public:
  SandboxService(State& state, ContainerService& containers, const HostServices& host)
      : state_(state), containers_(containers), host_(host) {}

  absl::StatusOr<PodId> run(const OpContext& op, PodSpec spec);
  // Stops every container of the pod; idempotent. NotFound when unknown.
  absl::Status stop(const OpContext& op, const std::string& ref);
  // Stops and removes everything the pod created. NotFound when unknown.
  absl::Status remove(const OpContext& op, const std::string& ref);
  absl::StatusOr<PodView> status(const std::string& ref, bool verbose) const;
  // Port-forward, in two steps like exec: prepare_port_forward checks the request when the
  // URL is asked for (the pod's id back); dial_port connects, for each forwarded connection,
  // to the port on the pod's loopback (the host's for a host-network pod).
  absl::StatusOr<std::string> prepare_port_forward(const std::string& ref, const std::vector<int32_t>& ports) const;
  absl::StatusOr<UniqueFd> dial_port(const std::string& pod_id, uint16_t port) const;
  // UpdatePodSandboxResources: records the new overhead / resources (nullopt: unchanged) and
  // writes them into the pod's group when berth made it (a Ready pod's). Limits the new values
  // leave unset keep their old value in the group. NotFound when unknown.
  absl::Status update_resources(const OpContext& op, const std::string& ref,
                                std::optional<spec::ResourcesInput> overhead,
                                std::optional<spec::ResourcesInput> resources);
  std::vector<PodRecord> list(const PodFilter& f) const;

  // CRI Status' NetworkReady condition.
  network::NetworkStatus network_status() const { return host_.network.status(); }
  // UpdateRuntimeConfig: the node's pod CIDR for pods created from now on. InvalidArgument
  // when it is not one or two CIDRs.
  absl::Status set_pod_cidr(const std::string& cidr) { return host_.network.set_pod_cidr(cidr); }

  // Startup: rebuild the index from the store, roll back half-done pods; call before the
  // container service's recover(), and reconcile_monitors() after it.
  absl::Status recover();
  // Startup, once pods and containers are recovered: watches each pod's monitor and makes
  // the records agree with what it holds; a pod whose monitor is gone is taken over.
  absl::Status reconcile_monitors();

  // The pod's monitor is gone: berthd kills what is left of its containers through the
  // runtime and records their exits (255 "monitor died" where the monitor wrote none); the
  // pod is NotReady and needs no monitor from then on. Idempotent.
  absl::Status take_over(const std::string& pod_id);

  // runtime::MonitorEventSink
  void on_container_exit(const std::string& pod_id, const std::string& container_id) override;
  void on_monitor_gone(const std::string& pod_id) override;

 private:
  // Undoes everything run() may have done, in reverse; every step tolerates "not there".
  absl::Status teardown(const PodRecord& rec);
  absl::Status take_over_locked(Entry<PodRecord>& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(e.op_mu);
  nlohmann::json network_check(Entry<PodRecord>& e) const;
  // The pod network's DEL for a pod with its own network namespace; idempotent.
  absl::Status detach_network(const OpContext& op, const PodRecord& rec) const;
  // The request's deadline, at most max_call away.
  absl::Time call_deadline(const OpContext& op) const { return std::min(op.deadline, absl::Now() + state_.settings.max_call); }

  State& state_;
  ContainerService& containers_;
  const HostServices& host_;
};

}  // namespace berth::core
