#pragma once
// What core asks of the pod network: is it ready, attach a pod's network namespace, detach
// it, check it. The real one drives CNI plugins (network/cni_network.h); tests drive core
// against a fake.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "network/interface_usage.h"

namespace berth::network {

// The NetworkReady condition of CRI Status.
struct NetworkStatus {
  bool ready = false;
  std::string reason;   // a CamelCase word when not ready
  std::string message;  // what is missing, naming the file or plugin
  // The configuration in use when ready: its file, network name and plugin types in order.
  std::string config_file, network_name;
  std::vector<std::string> plugins;
};

struct HostPort {
  std::string protocol;  // "tcp", "udp", "sctp"
  int32_t container_port = 0, host_port = 0;
  std::string host_ip;   // empty: every address
};

struct AttachRequest {
  std::string pod_id, pod_name, pod_namespace, pod_uid;
  std::string netns;  // the pinned network namespace
  std::vector<HostPort> host_ports;
  uint64_t ingress_bits_per_second = 0, egress_bits_per_second = 0;  // 0: unlimited
  std::string pod_cidr;  // overrides the runtime's pod CIDR (UpdateRuntimeConfig) when set
  absl::Time deadline = absl::InfiniteFuture();
};

struct Attachment {
  std::vector<std::string> ips;  // PodSandboxStatus order: ip, then additional_ips
};

class PodNetwork {
 public:
  virtual ~PodNetwork() = default;
  virtual NetworkStatus status() const = 0;
  // FailedPrecondition when not ready. On failure nothing stays attached.
  virtual absl::StatusOr<Attachment> attach(const AttachRequest& req) const = 0;
  // Undoes the pod's attachment with what it was made with; OK when it has none. Idempotent.
  [[nodiscard]] virtual absl::Status detach(const std::string& pod_id, absl::Time deadline) const = 0;
  // CHECK of the pod's attachment; OK when the configuration disables checks.
  [[nodiscard]] virtual absl::Status check(const std::string& pod_id, absl::Time deadline) const = 0;
  // Startup: detaches every attachment of a pod not in `live`; then lets the plugins collect
  // what no live pod uses where they support it (CNI GC).
  [[nodiscard]] virtual absl::Status forget_all_but(const std::set<std::string>& live, absl::Time deadline) const = 0;
  // UpdateRuntimeConfig's pod CIDR ("10.244.1.0/24", or two comma-separated for dual stack);
  // "" clears it. Kept across restarts.
  [[nodiscard]] virtual absl::Status set_pod_cidr(const std::string& cidr) const = 0;
  // Traffic counters of the interfaces in a pod's (pinned) network namespace.
  virtual absl::StatusOr<std::vector<InterfaceUsage>> interface_usage(const std::string& netns) const = 0;
};

}  // namespace berth::network
