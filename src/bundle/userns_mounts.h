#pragma once
// A container's filesystems in a pod user namespace (NamespaceOption.userns_options mode POD),
// and idmapped config mounts (CRI Mount.uidMappings/gidMappings). runc 1.1 makes no idmapped
// mounts itself, so berthd makes them on the host and the spec names their paths:
//   <bundle>/idmap/l<i>  lower layer i (topmost first) through the pod's user namespace; the
//                        overlay holds its own clone, so these are detached once it is mounted
//                        (overlay itself cannot be idmapped, its layers can)
//   <bundle>/idmap/v<i>  config mount i through the pod's user namespace, or through a user
//                        namespace made for that mount's own mappings
// An id stored on disk is seen inside as itself: image files owned by 0 are root's inside, and
// a file the container's root creates is stored as 0. Teardown unmounts everything under the
// bundle.
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/status.h>

#include <sys/types.h>

#include <optional>

#include "spec/container_spec.h"
#include "sys/mounter.h"

namespace berth::bundle {

// A pod's own user namespace (userns mode POD), as bundle preparation needs it.
struct PodUserNamespace {
  std::string pod_id;          // for messages
  std::filesystem::path pin;   // the namespace, pinned as a file
  uid_t root_uid = 0;          // the container's root, on the host
  gid_t root_gid = 0;
};

// Before anything is created. InvalidArgument naming the mount: uid mappings without gid
// mappings or the reverse, or mappings spec::validate_id_mappings refuses. Unimplemented: an
// idmapped image mount.
absl::Status check_mount_idmaps(const std::string& container, const std::vector<spec::MountInput>& mounts);

// runc mounts the rootfs from inside the user namespace, as the container's root: every
// directory above `bundle` must be searchable by others. `bundle` itself and the directories
// from `own_root` down are berthd's and get o+x; FailedPrecondition naming a directory above
// `own_root` that lacks it.
absl::Status make_bundle_searchable(const std::filesystem::path& bundle, const std::filesystem::path& own_root);

// The container's overlay on `rootfs` with every lower layer idmapped through the pod's user
// namespace and the upper directory owned by the container's root on the host.
// FailedPrecondition naming the layer where the kernel or its filesystem cannot idmap.
absl::Status mount_userns_rootfs(const sys::Mounter& mounts, const PodUserNamespace& userns,
                                 const std::vector<std::filesystem::path>& lower, const std::filesystem::path& upper,
                                 const std::filesystem::path& work, const std::filesystem::path& bundle,
                                 const std::filesystem::path& rootfs);

// Replaces the host_path of each config bind mount that needs it by an idmapped mount under
// `bundle`: the mount's own mappings when it has them, else the pod's user namespace when the
// pod has one (`pod_userns`). Image mounts stay as they are (read-only, files readable by all).
absl::Status idmap_config_mounts(const sys::Mounter& mounter, const std::optional<PodUserNamespace>& pod_userns,
                                 const std::filesystem::path& bundle,
                                 std::vector<spec::MountInput>& mounts);

}  // namespace berth::bundle
