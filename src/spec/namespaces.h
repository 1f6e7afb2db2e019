#pragma once
// linux.namespaces: the container joins its pod's pinned network, IPC and UTS namespaces
// (or stays in the host's when the pod uses the host's), joins the pod's PID namespace or
// gets its own (none at all with host_pid), and always gets a mount namespace of its own.
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

nlohmann::json build_namespaces(const PodInput& pod);

}  // namespace berth::spec
