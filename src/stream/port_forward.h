#pragma once
// What a port-forward URL stands for, and how a forwarded connection reaches the pod.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::stream {

struct PortForwardRequest {
  std::string pod_id;
  std::vector<uint16_t> ports;  // those PortForwardRequest named; empty: any
};

// Connects to the port on the pod's loopback. Blocks (it enters the pod's network namespace
// on a thread of its own), so the server calls it on its worker pool.
using PortDialer = std::function<absl::StatusOr<UniqueFd>(const std::string& pod_id, uint16_t port)>;

}  // namespace berth::stream
