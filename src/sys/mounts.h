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

// Lazily detaches `target`; not mounted (EINVAL) and missing (ENOENT) are OK.
[[nodiscard]] absl::Status unmount(const std::filesystem::path& target);

// Every mount point at or below `prefix`, deepest first (from /proc/self/mountinfo).
absl::StatusOr<std::vector<std::filesystem::path>> mounts_under(const std::filesystem::path& prefix);

// Unmounts everything at or below `prefix`, deepest first.
[[nodiscard]] absl::Status unmount_all_under(const std::filesystem::path& prefix);

}  // namespace berth::sys
