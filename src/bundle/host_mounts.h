#pragma once
// The host side of a container's mounts: what has to exist on the node before spec/ can
// describe ContainerConfig.mounts and the image's VOLUMEs as bind mounts.
//
//  1. prepare(), before the container's name is reserved, so bad input leaves nothing behind:
//     the config rules (spec::check_mounts); each bind mount's host path, a missing one
//     created as a directory (0755, parents too: kubelet relies on it, as containerd and
//     CRI-O do it) and symlinks resolved, the spec getting the real path; propagation:
//     BIDIRECTIONAL needs the host mount holding the path to be shared, HOST_TO_CONTAINER
//     shared or a slave (/proc/self/mountinfo); image mounts: the image is in the store.
//     Directories it created are removed again (rmdir, so never content) when the create
//     fails, unless keep() was called.
//  2. mount_in_bundle(), once the bundle directory exists: the read-only rootfs of each
//     image mount under <bundle>/mounts/<n>; and, only for a runtime without the "rro" mount
//     option, a recursive read-only clone of each recursive_readonly mount there too (a
//     runtime with it makes the mount read-only all the way down itself, in the container's
//     mount namespace, and the host holds no copy). Teardown unmounts them with everything
//     under the bundle; detach_clones() drops the clones as soon as the container holds its
//     own copies, since a clone in the host's namespace pins the host's directories (a mount
//     point inside the volume could not be removed on the host while the container runs).
//  3. add_image_volumes(), once the rootfs is mounted: a directory of the container's own
//     for each image VOLUME no config mount covers, seeded with the image's files there.
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "image/image_store.h"
#include "oci/image_config.h"
#include "spec/container_spec.h"
#include "sys/mounter.h"

namespace berth::bundle {

class HostMounts {
 public:
  // Checks and prepares `c.mounts` in place (host paths resolved). `has_selinux`: whether
  // the node runs SELinux (without it selinux_relabel is ignored, with a debug line).
  static absl::StatusOr<HostMounts> prepare(spec::ContainerInput& c, const image::ImageStore& images, bool has_selinux);
  HostMounts() = default;  // of no mounts: owns nothing

  HostMounts(HostMounts&& o) noexcept;
  HostMounts& operator=(HostMounts&& o) noexcept;
  HostMounts(const HostMounts&) = delete;
  HostMounts& operator=(const HostMounts&) = delete;
  ~HostMounts();

  // The ids of the images the container's image mounts use (for ContainerRecord, so those
  // images are not removed while mounted).
  std::vector<std::string> image_ids() const;

  // Step 2 on `c.mounts` (the same list prepare() saw): host_path of the mounts it handles
  // becomes the mount it made under `bundle`. `runtime_recursive_readonly`: the runtime
  // takes "rro" (runtime::RuntimeFeatures), so recursive_readonly mounts are left to it.
  absl::Status mount_in_bundle(const sys::Mounter& mounts, spec::ContainerInput& c,
                               const std::filesystem::path& bundle, bool runtime_recursive_readonly);

  // The runtime created the container, which now holds its own copy of every mount: the
  // recursive read-only clones leave the host's mount namespace (best-effort, logged).
  void detach_clones(const sys::Mounter& mounts);

  // The create succeeded (or adopted an earlier one): the host directories stay.
  void keep() { created_.clear(); }

 private:
  // The clones of step 2, under `dir`.
  absl::Status clone_recursive_readonly(const sys::Mounter& mounts, spec::ContainerInput& c,
                                        const std::filesystem::path& dir);

  struct ImageMount {
    size_t index = 0;  // in ContainerInput::mounts
    std::string id;
    std::vector<std::filesystem::path> layers;  // bottom first
  };
  std::vector<std::filesystem::path> created_;  // host directories made by prepare(), in creation order
  std::vector<ImageMount> images_;
  std::vector<std::filesystem::path> clones_;  // recursive read-only clones made by mount_in_bundle()
};

// Step 3: appends to `c.mounts` a bind of `volumes_dir`/<n> for each image VOLUME that no
// config mount covers, the directory taking the owner, mode and contents the image has at
// that path in `rootfs` (the container's mounted rootfs, read as the container would see
// it). FailedPrecondition when the image has something other than a directory there.
absl::Status add_image_volumes(spec::ContainerInput& c, const oci::ImageConfig& image,
                               const std::filesystem::path& rootfs, const std::filesystem::path& volumes_dir);

}  // namespace berth::bundle
