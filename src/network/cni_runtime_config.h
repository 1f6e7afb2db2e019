#pragma once
// What the runtime tells CNI plugins about one pod, per the CNI conventions: CNI_ARGS with the
// Kubernetes pod identity, and the runtimeConfig of the capabilities berth supports
// (portMappings, bandwidth, ipRanges).
#include <cstdint>
#include <string>
#include <string_view>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "network/pod_network.h"

namespace berth::network::cni {

// "IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;K8S_POD_INFRA_CONTAINER_ID=..;K8S_POD_UID=..";
// a value holding ';' or '=' (which CNI_ARGS cannot carry) is left out.
std::string cni_args(const AttachRequest& req);

// {"portMappings": [...], "bandwidth": {...}, "ipRanges": [[{"subnet": ...}], ...]}, each only
// when there is something to say. `pod_cidr` is the request's own, else the runtime's.
nlohmann::json runtime_config(const AttachRequest& req, std::string_view pod_cidr);

// A Kubernetes quantity of bits per second as the bandwidth annotations write it ("10M",
// "1Gi", "500k", "1000000"). InvalidArgument quoting it when it is not one or is not positive.
absl::StatusOr<uint64_t> parse_bandwidth(std::string_view quantity);

// One CIDR or two comma-separated ones (dual stack); "" is valid (none). InvalidArgument
// quoting the bad part.
absl::Status validate_pod_cidr(std::string_view cidr);

}  // namespace berth::network::cni
