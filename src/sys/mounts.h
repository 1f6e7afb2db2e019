#pragma once
// Mount mechanisms: overlay, bind, tmpfs, unmount, mount-point checks.
#include <filesystem>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace berth::sys {

// overlay with `lower` (topmost first), `upper` and `work` on `target`.
[[nodiscard]] absl::Status mount_overlay(const std::vector<std::filesystem::path>& lower,
                                         const std::filesystem::path& upper,
                                         const std::filesystem::path& work,
                                         const std::filesystem::path& target);
[[nodiscard]] absl::Status mount_bind(const std::filesystem::path& source, const std::filesystem::path& target);
[[nodiscard]] absl::Status mount_tmpfs(const std::filesystem::path& target, const std::string& options);

// A read-only overlay of `lower` (topmost first, at least two: overlay needs an upper dir
// otherwise) on `target`.
[[nodiscard]] absl::Status mount_overlay_readonly(const std::vector<std::filesystem::path>& lower,
                                                  const std::filesystem::path& target);
// A read-only, non-recursive bind of `source` on `target`.
[[nodiscard]] absl::Status mount_bind_readonly(const std::filesystem::path& source, const std::filesystem::path& target);
// A recursive clone of the mount tree at `source`, every mount of it made read-only and
// private, attached at `target` (a directory, or a file when `source` is one): what
// runc >= 1.2 calls "rro", done with open_tree + mount_setattr + move_mount. FailedPrecondition
// when the kernel lacks those calls (before Linux 5.12).
[[nodiscard]] absl::Status mount_clone_readonly(const std::filesystem::path& source, const std::filesystem::path& target);

// Lazily detaches `target`; not mounted (EINVAL) and missing (ENOENT) are OK.
[[nodiscard]] absl::Status unmount(const std::filesystem::path& target);

// Every mount point at or below `prefix`, deepest first (from /proc/self/mountinfo); a point
// with mounts stacked on it is listed once per mount.
absl::StatusOr<std::vector<std::filesystem::path>> mounts_under(const std::filesystem::path& prefix);

// Unmounts everything at or below `prefix`, deepest first.
[[nodiscard]] absl::Status unmount_all_under(const std::filesystem::path& prefix);

}  // namespace berth::sys
