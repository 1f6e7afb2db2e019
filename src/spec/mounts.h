#pragma once
// The container's mounts, in order: the kernel filesystems (/proc, /dev, /dev/pts,
// /dev/mqueue, /sys, /sys/fs/cgroup), /dev/shm, the pod's /etc/{resolv.conf,hosts,hostname},
// then the config's bind mounts, shallow paths first so /a is mounted before /a/b. A config
// mount at a default's destination takes that default's place.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// InvalidArgument naming the path: a relative container_path or host_path, a mount over
// "/", two mounts at one container_path.
absl::StatusOr<nlohmann::json> build_mounts(const SpecInput& in);

// linux.rootfsPropagation the config mounts need: "rshared" with a Bidirectional mount (so
// mounts made inside reach the host), "rslave" with a HostToContainer one, else nullopt.
std::optional<std::string> rootfs_propagation(const std::vector<MountInput>& mounts);

}  // namespace berth::spec
