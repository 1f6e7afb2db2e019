#pragma once
// Reads a file of a container rootfs as the container would see it: every path component,
// symlinks included, is resolved inside `root` (openat2 RESOLVE_IN_ROOT), so an image whose
// /etc/passwd is a symlink to "/../../etc/shadow" cannot make us read the host's files.
#include <filesystem>
#include <string>

#include <absl/status/statusor.h>

#include "base/unique_fd.h"

namespace berth::sys {

// Opens `path` as seen from inside `root` (every component, symlinks and ".." included,
// resolved within it) with open(2) `flags`; O_CLOEXEC is added.
absl::StatusOr<UniqueFd> open_in_root(const std::filesystem::path& root, const std::filesystem::path& path, int flags);

absl::StatusOr<std::string> read_file_in_root(const std::filesystem::path& root, const std::filesystem::path& path,
                                              size_t max_bytes = 4 << 20);

}  // namespace berth::sys
