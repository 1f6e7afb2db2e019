#pragma once
// Idmapped mounts (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount) and the user
// namespaces that carry their mappings. runc 1.1 cannot make idmapped mounts itself, so the
// daemon makes them on the host and hands runc the idmapped paths.
#include <filesystem>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

// Attaches an idmapped clone of the mount tree at `source` on `target`, which must exist (a
// directory for a directory, a file for a file): an id stored on disk is seen as the host id
// it maps to in the user namespace `userns_fd`, and a new file's owner is written back through
// the same mapping. FailedPrecondition naming `source` when the kernel or the filesystem does
// not support idmapped mounts there (EINVAL, ENOSYS, EPERM, EOPNOTSUPP from mount_setattr).
[[nodiscard]] absl::Status mount_idmapped(const std::filesystem::path& source, const std::filesystem::path& target,
                                          int userns_fd);

// A new user namespace with these mappings (uid_map / gid_map file contents: "C H L\n"
// lines), held only by the returned fd. Safe in a threaded process: the child that creates
// it calls only async-signal-safe functions.
absl::StatusOr<UniqueFd> create_user_namespace(const std::string& uid_map, const std::string& gid_map);

}  // namespace berth::sys
