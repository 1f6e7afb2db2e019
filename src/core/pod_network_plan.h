#pragma once
// A pod's request to the pod network, from its record: identity, namespace, published ports
// and the bandwidth annotations; and the checks that refuse bad values before anything exists.
#include <absl/status/status.h>
#include <absl/time/time.h>

#include "core/records.h"
#include "network/pod_network.h"

namespace berth::core {

inline constexpr const char* kIngressBandwidth = "kubernetes.io/ingress-bandwidth";
inline constexpr const char* kEgressBandwidth = "kubernetes.io/egress-bandwidth";
// A pod's own CIDR for the IPAM plugin's ipRanges, overriding UpdateRuntimeConfig's.
inline constexpr const char* kPodCidrAnnotation = "io.kubernetes.cri.pod-cidr";

// InvalidArgument naming the port mapping (a port outside 1-65535, a host port outside
// 0-65535, an unknown protocol, a host_ip that is not an address) or the annotation.
absl::Status validate_pod_network(const PodSpec& spec);

// Call after validate_pod_network().
network::AttachRequest attach_request(const PodRecord& rec, absl::Time deadline);

}  // namespace berth::core
