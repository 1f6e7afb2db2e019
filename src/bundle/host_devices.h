#pragma once
// The host side of CRI devices: which device nodes a container's Device entries name on this
// node (stat of the host path, following symlinks; a directory means every node below it),
// and which nodes a privileged container gets. Done before anything of the container is
// created, so a missing device leaves nothing behind.
#include <filesystem>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "spec/container_spec.h"

namespace berth::bundle {

// One HostDevice per requested node, in the order asked. A host_path that is a directory
// (e.g. /dev/snd) gives every character or block node below it, at the same relative path
// under container_path (symlinks inside it are skipped: they name nodes listed anyway).
// InvalidArgument names the container and the host path: it does not exist, is neither a
// device nor a directory, or is a directory without device nodes; also the request checks of
// spec::device_permissions.
absl::StatusOr<std::vector<spec::HostDevice>> resolve_host_devices(std::string_view container_name,
                                                                   const std::vector<spec::DeviceInput>& requested);

// Every character and block node below `root`, as it would appear in a privileged container's
// /dev (root/x -> /dev/x), with "rwm". Skipped: symlinks; /dev/console (runc gives the
// container its own); the pts, shm and mqueue directories (the container mounts its own
// devpts, /dev/shm and mqueue); nodes that vanish while the tree is read.
absl::StatusOr<std::vector<spec::HostDevice>> list_host_devices(const std::filesystem::path& root = "/dev");

// What SpecInput.devices holds for a container: the requested devices and, for a privileged
// container, every host device too (a requested container_path wins over the host's node).
absl::StatusOr<std::vector<spec::HostDevice>> container_devices(std::string_view container_name,
                                                                const std::vector<spec::DeviceInput>& requested,
                                                                bool privileged,
                                                                const std::filesystem::path& dev_root = "/dev");

}  // namespace berth::bundle
