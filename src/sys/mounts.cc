#include "sys/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/status.h"
#include "base/unique_fd.h"
#include "sys/fs.h"
#include "sys/mountinfo.h"

namespace berth::sys {
namespace fs = std::filesystem;

absl::Status mount_overlay(const std::vector<fs::path>& lower, const fs::path& upper, const fs::path& work,
                           const fs::path& target) {
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < lower.size(); ++i) opts += (i ? ":" : "") + lower[i].string();
  opts += ",upperdir=" + upper.string() + ",workdir=" + work.string();
  if (::mount("overlay", target.c_str(), "overlay", MS_NODEV, opts.c_str()) != 0)
    return errno_error("mount overlay on {}", target.string());
  return absl::OkStatus();
}

absl::Status mount_bind(const fs::path& source, const fs::path& target) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
    return errno_error("bind mount {} on {}", source.string(), target.string());
  return absl::OkStatus();
}

absl::Status mount_tmpfs(const fs::path& target, const std::string& options) {
  if (::mount("shm", target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0)
    return errno_error("mount tmpfs on {}", target.string());
  return absl::OkStatus();
}

absl::Status mount_overlay_readonly(const std::vector<fs::path>& lower, const fs::path& target) {
  if (lower.size() < 2)
    return absl::InvalidArgumentError(fmt::format("read-only overlay on {} needs two lower dirs", target.string()));
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < lower.size(); ++i) opts += (i ? ":" : "") + lower[i].string();
  if (::mount("overlay", target.c_str(), "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opts.c_str()) != 0)
    return errno_error("mount read-only overlay on {}", target.string());
  return absl::OkStatus();
}

absl::Status mount_bind_readonly(const fs::path& source, const fs::path& target) {
  RETURN_IF_ERROR(mount_bind(source, target));
  // The read-only flag only takes on a remount of the bind.
  if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV | MS_NOSUID, nullptr) != 0) {
    absl::Status s = errno_error("remount {} read-only", target.string());
    (void)unmount(target);
    return s;
  }
  return absl::OkStatus();
}

absl::Status mount_clone_readonly(const fs::path& source, const fs::path& target) {
  auto missing = [&](std::string_view call) {
    return absl::FailedPreconditionError(fmt::format(
        "recursive read-only mount of {}: the kernel has no {} (Linux 5.12 or newer is needed)", source.string(), call));
  };
  UniqueFd tree{::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)};
  if (!tree) {
    if (errno == ENOSYS) return missing("open_tree");
    return errno_error("clone the mount tree at {}", source.string());
  }
  // Private first: the clone of a shared mount joins its peer group, and a read-only
  // container mount must not receive (or send) anything.
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  attr.propagation = MS_PRIVATE;
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    if (errno == ENOSYS) return missing("mount_setattr");
    return errno_error("make the clone of {} read-only", source.string());
  }
  if (::move_mount(tree.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    if (errno == ENOSYS) return missing("move_mount");
    return errno_error("attach the read-only clone of {} at {}", source.string(), target.string());
  }
  return absl::OkStatus();
}

absl::Status unmount(const fs::path& target) {
  if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
    return errno_error("unmount {}", target.string());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<fs::path>> mounts_under(const fs::path& prefix) {
  ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, read_mountinfo());
  const std::string p = prefix.lexically_normal().string();
  std::vector<fs::path> out;
  for (const MountInfo& m : mounts) {
    const std::string& mp = m.mount_point;
    if (mp == p || (mp.size() > p.size() && mp.compare(0, p.size(), p) == 0 && mp[p.size()] == '/'))
      out.emplace_back(mp);
  }
  // Deepest first; a path with mounts stacked on it stays listed once per mount, so unmounting
  // the list removes them all.
  std::stable_sort(out.begin(), out.end(),
                   [](const fs::path& a, const fs::path& b) { return a.native().size() > b.native().size(); });
  return out;
}

absl::Status unmount_all_under(const fs::path& prefix) {
  ASSIGN_OR_RETURN(std::vector<fs::path> mps, mounts_under(prefix));
  for (const fs::path& mp : mps) RETURN_IF_ERROR(unmount(mp));
  return absl::OkStatus();
}

}  // namespace berth::sys
