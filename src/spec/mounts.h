#pragma once
// The container's mounts, in order: the kernel filesystems (/proc, /dev, /dev/pts,
// /dev/mqueue, /sys, /sys/fs/cgroup), /dev/shm, the pod's /etc/{resolv.conf,hosts,hostname},
// then the config's bind mounts (and the image's VOLUMEs, which core/ adds as bind mounts of
// per-container directories), shallow paths first so /a is mounted before /a/b. A config
// mount at a default's destination takes that default's place.
#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "spec/container_spec.h"

namespace berth::spec {

// The rules on the config's mounts that need nothing but the config, so core/ can check
// them before it touches the host (build_mounts checks them again). InvalidArgument naming
// the mount: a relative or empty container_path, a mount over "/", two mounts at one
// container_path, a relative host_path on a bind mount, recursive_readonly without readonly
// or with a propagation other than private (api.proto's rule), an image_sub_path without an
// image, absolute, or leaving the image. Unimplemented: uid/gid mappings (idmapped mounts).
absl::Status check_mounts(const ContainerInput& c);

// The mounts, in order (see above). Beyond check_mounts: a recursive read-only mount is bound
// read-only and private (core/ has made host_path a read-only clone of the whole tree); an
// image mount is bound read-only from the host_path core/ mounted the image at; an SELinux
// relabel on a node with SELinux is FailedPrecondition (not implemented), without SELinux
// there is nothing to relabel.
absl::StatusOr<nlohmann::json> build_mounts(const SpecInput& in);

// The image's VOLUMEs that no config mount covers (one at the same path or above it): core/
// gives each a directory of the container's own. Normalized absolute paths, in the image's
// order, each once. InvalidArgument for a VOLUME of "/".
absl::StatusOr<std::vector<std::string>> uncovered_image_volumes(const ContainerInput& c, const oci::ImageConfig& image);

// linux.rootfsPropagation the config mounts need: "rshared" with a Bidirectional mount (so
// mounts made inside reach the host), "rslave" with a HostToContainer one, else nullopt.
std::optional<std::string> rootfs_propagation(const std::vector<MountInput>& mounts);

}  // namespace berth::spec
