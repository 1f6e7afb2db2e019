#pragma once
// Filesystem mechanisms: crash-safe writes, reads, directory trees.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <absl/status/status.h>
#include <absl/status/statusor.h>

namespace berth::sys {

// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path` and
// fsyncs the directory: after a crash the file holds either the old or the new content.
[[nodiscard]] absl::Status atomic_write_file(const std::filesystem::path& path, std::string_view data,
                                             mode_t mode = 0644);

absl::StatusOr<std::string> read_file(const std::filesystem::path& path);

// mkdir -p with `mode` for the directories it creates.
[[nodiscard]] absl::Status make_dirs(const std::filesystem::path& path, mode_t mode = 0755);

// rm -rf that never crosses into a mount point below `path` (it fails instead), so a
// forgotten bind mount cannot take host files with it. Missing `path` is OK.
[[nodiscard]] absl::Status remove_tree(const std::filesystem::path& path);

// Copies what the directory open at `src_dir` holds into the existing directory `dst`:
// directories, regular files, symlinks (copied as links, never followed), device nodes,
// fifos and sockets, each with its owner, mode and timestamps. Hard links become separate
// copies; extended attributes are not copied. `shown` names the source in errors.
[[nodiscard]] absl::Status copy_tree(int src_dir, const std::filesystem::path& shown, const std::filesystem::path& dst);

// Bytes and inodes used below `path` (st_blocks based, hardlinks counted once).
struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};
absl::StatusOr<DiskUsage> disk_usage(const std::filesystem::path& path);

}  // namespace berth::sys
