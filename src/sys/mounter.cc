#include "sys/mounter.h"

#include "sys/idmapped_mounts.h"
#include "sys/mounts.h"

namespace berth::sys {
namespace fs = std::filesystem;

absl::Status KernelMounter::overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                                    const fs::path& target) const {
  return mount_overlay(lower, upper, work, target);
}
absl::Status KernelMounter::overlay_readonly(const std::vector<fs::path>& lower, const fs::path& target) const {
  return mount_overlay_readonly(lower, target);
}
absl::Status KernelMounter::bind_readonly(const fs::path& source, const fs::path& target) const {
  return mount_bind_readonly(source, target);
}
absl::Status KernelMounter::clone_readonly(const fs::path& source, const fs::path& target) const {
  return mount_clone_readonly(source, target);
}
absl::Status KernelMounter::idmapped(const fs::path& source, const fs::path& target, int userns_fd) const {
  return mount_idmapped(source, target, userns_fd);
}
absl::Status KernelMounter::tmpfs(const fs::path& target, const std::string& options) const {
  return mount_tmpfs(target, options);
}
absl::Status KernelMounter::unmount(const fs::path& target) const { return sys::unmount(target); }
absl::Status KernelMounter::unmount_all_under(const fs::path& prefix) const { return sys::unmount_all_under(prefix); }

}  // namespace berth::sys
