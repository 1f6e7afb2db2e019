#pragma once
// linux.namespaces: the container joins its pod's pinned network, IPC and UTS namespaces
// (or stays in the host's when the pod uses the host's) and always gets a mount namespace of
// its own. PID follows the container's NamespaceOption.pid (the pod's when unset): POD joins
// the pod's pinned PID namespace, CONTAINER gets a new one, NODE none at all, TARGET joins
// another container's (core/ found its /proc/<pid>/ns/pid).
#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// InvalidArgument naming the field: pid POD in a pod without a PID namespace of its own,
// TARGET without the target's namespace.
absl::StatusOr<nlohmann::json> build_namespaces(const SpecInput& in);

}  // namespace berth::spec
