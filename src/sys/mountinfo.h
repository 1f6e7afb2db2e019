#pragma once
// /proc/<pid>/mountinfo (proc(5)): one line per mount,
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
// parsed into values, and the question "which mount holds this path, and how does it
// propagate?" that bind mounts with propagation ask.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace berth::sys {

struct MountInfo {
  int id = 0;
  int parent_id = 0;
  std::string major_minor;    // "98:0"
  std::string root;           // the mount's root within its filesystem
  std::string mount_point;    // relative to the reader's root; octal escapes undone
  std::string mount_options;  // per-mount: "rw,noatime"
  // "shared:N" (peer group N), "master:N" (slave of group N), "propagate_from:N",
  // "unbindable"; none: private.
  std::vector<std::string> optional_fields;
  std::string fs_type;
  std::string source;
  std::string super_options;

  bool shared() const;  // has "shared:N": mounts below it propagate both ways with its peers
  bool slave() const;   // has "master:N": receives mounts from its master's peer group
};

// Parses mountinfo text; InvalidArgument naming the line number of a malformed line.
// Blank lines are skipped.
absl::StatusOr<std::vector<MountInfo>> parse_mountinfo(std::string_view text);

// /proc/self/mountinfo, parsed.
absl::StatusOr<std::vector<MountInfo>> read_mountinfo();

// The mount `path` (absolute, symlinks already resolved) lives on: the one whose mount point
// is the longest prefix of it, and of mounts stacked on the same point the top one. nullptr
// when none matches (a relative path, or a path outside the reader's root).
const MountInfo* mount_containing(const std::vector<MountInfo>& mounts, const std::filesystem::path& path);

}  // namespace berth::sys
